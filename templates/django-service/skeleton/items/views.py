from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from items.models import Item
from items.serializers import ItemSerializer


class ItemViewSet(viewsets.ModelViewSet):
    """Items: list (active ones, or archived ones with ``?archived=true``), create, read, update, delete, archive."""

    serializer_class = ItemSerializer

    def get_queryset(self) -> QuerySet[Item]:
        items = Item.objects.all()
        if self.action == "list":
            archived = self.request.query_params.get("archived", "false").lower() == "true"
            items = items.filter(archived_at__isnull=not archived)
        return items

    @action(detail=True, methods=["post"])
    def archive(self, request: Request, pk: str | None = None) -> Response:
        """Archive the item; archiving it again keeps the first date."""
        item = self.get_object()
        if item.archived_at is None:
            item.archived_at = timezone.now()
            item.save(update_fields=["archived_at"])
        return Response(self.get_serializer(item).data, status=status.HTTP_200_OK)
