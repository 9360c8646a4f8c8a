from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.pagination import CursorPagination, LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import permissions
from portal.api.filters import AuditQuery, JobQuery
from portal.api.serializers import AuditEntrySerializer, JobDetailSerializer, JobSerializer
from portal.models import AuditEntry, Job
from portal.permissions import ApiAccess


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.EmailField()
    name = serializers.CharField()
    is_admin = serializers.BooleanField()
    token_read_only = serializers.BooleanField(allow_null=True, help_text="Null when signed in with a session.")


class MeView(APIView):
    """The account making the request."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        token = request.auth if hasattr(request.auth, "read_only") else None
        data = {
            "username": user.get_username(),
            "email": user.email,
            "name": user.get_full_name(),
            "is_admin": bool(user.is_staff or user.is_superuser),
            "token_read_only": token.read_only if token is not None else None,
        }
        return Response(MeSerializer(data).data)


class _PolicyPermission(ApiAccess):
    """Signed in, and allowed by the ``portal.permissions`` rule named by ``action``."""

    action = ""
    object_action = ""

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and (not self.action or permissions.can(request.user, self.action))

    def has_object_permission(self, request, view, obj) -> bool:
        return not self.object_action or permissions.can(request.user, self.object_action, obj)


class CanViewAudit(_PolicyPermission):
    action = "portal.view_audit"


class CanViewJob(_PolicyPermission):
    object_action = "portal.view_job"


class AuditPagination(CursorPagination):
    ordering = ("-timestamp", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500


class JobPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


@extend_schema(parameters=[AuditQuery])
class AuditEntryList(generics.ListAPIView):
    """The audit trail, newest first: portal administrators only, and read-only for everyone."""

    serializer_class = AuditEntrySerializer
    permission_classes = [CanViewAudit]
    pagination_class = AuditPagination

    def get_queryset(self):
        query = AuditQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.apply(AuditEntry.objects.all())


@extend_schema(parameters=[JobQuery])
class JobList(generics.ListAPIView):
    """Background jobs, newest first: every job for administrators, one's own for anyone else."""

    serializer_class = JobSerializer
    pagination_class = JobPagination

    def get_queryset(self):
        query = JobQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.apply(Job.objects.visible_to(self.request.user).select_related("user"))


class JobDetail(generics.RetrieveAPIView):
    """One background job with its log. Another user's job answers 404."""

    serializer_class = JobDetailSerializer
    permission_classes = [CanViewJob]

    def get_queryset(self):
        return Job.objects.visible_to(self.request.user).select_related("user")
