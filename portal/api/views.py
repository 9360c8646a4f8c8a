from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.pagination import CursorPagination, LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import permissions, runs
from portal.api.filters import AuditQuery, RunQuery
from portal.api.serializers import AuditEntrySerializer, RunDetailSerializer, RunEventSerializer, RunSerializer
from portal.models import AuditEntry, Run, RunStep


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "The request conflicts with the state of the run."
    default_code = "conflict"


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    email = serializers.EmailField()
    name = serializers.CharField()
    is_admin = serializers.BooleanField()
    token_read_only = serializers.BooleanField(allow_null=True, help_text="Null when signed in with a session.")


class MeView(APIView):
    """The account making the request: user name, e-mail, name, whether it is an administrator and, for an
    API token, whether the token is read-only (null when signed in with a session)."""

    @extend_schema(
        summary="Who is calling: the account of the session or of the API token.",
        responses=MeSerializer,
    )
    def get(self, request):
        user = request.user
        token = request.auth if hasattr(request.auth, "read_only") else None
        data = {
            "username": user.get_username(),
            "email": user.email,
            "name": user.get_full_name(),
            "is_admin": permissions.can(user, "portal.view_admin"),
            "token_read_only": token.read_only if token is not None else None,
        }
        return Response(MeSerializer(data).data)


class AuditPagination(CursorPagination):
    ordering = ("-timestamp", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500


class RunPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


@extend_schema(summary="The audit trail: who did what, when.", parameters=[AuditQuery])
class AuditEntryList(generics.ListAPIView):
    """The audit trail, newest first: portal administrators only, and read-only for everyone."""

    serializer_class = AuditEntrySerializer
    policy = {"GET": "portal.view_audit"}
    pagination_class = AuditPagination

    def get_queryset(self):
        query = AuditQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.apply(AuditEntry.objects.all())


@extend_schema(summary="Background runs (scaffolder tasks, catalog refreshes …), newest first.", parameters=[RunQuery])
class RunList(generics.ListAPIView):
    """Background runs of every kind, newest first: every run for administrators, one's own for anyone else."""

    serializer_class = RunSerializer
    pagination_class = RunPagination

    def get_queryset(self):
        query = RunQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.apply(Run.objects.visible_to(self.request.user).select_related("created_by"))


def _visible_run(request, pk) -> Run:
    run = Run.objects.visible_to(request.user).select_related("created_by").filter(pk=pk).first()
    if run is None:
        raise exceptions.NotFound("No such run.")
    return run


@extend_schema(summary="One background run, with its steps.")
class RunDetail(generics.RetrieveAPIView):
    """One run with its steps. Another user's run answers 404."""

    serializer_class = RunDetailSerializer
    object_policy = {"GET": "portal.view_run"}

    def get_queryset(self):
        return (
            Run.objects.visible_to(self.request.user)
            .select_related("created_by")
            .prefetch_related(Prefetch("steps", queryset=RunStep.objects.order_by("index")))
        )


class RunEventsQuery(serializers.Serializer):
    after = serializers.IntegerField(
        required=False, min_value=0, max_value=2**63 - 1, help_text="Events after this id."
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000, default=500)


class RunEvents(APIView):
    """A run's log, oldest first, after the event id ``after``."""

    @extend_schema(
        summary="A run's log events, oldest first.",
        parameters=[RunEventsQuery],
        responses=RunEventSerializer(many=True),
    )
    def get(self, request, pk):
        run = _visible_run(request, pk)
        query = RunEventsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        events = run.events.order_by("id")
        if query.validated_data.get("after") is not None:
            events = events.filter(id__gt=query.validated_data["after"])
        return Response(RunEventSerializer(events[: query.validated_data["limit"]], many=True).data)


class RunCancel(APIView):
    """Cancel a run: at once when it waits, else at its next step boundary. 409 when it has ended."""

    object_policy = {"POST": "portal.cancel_run"}
    denied_message = "You may not cancel this run."

    @extend_schema(summary="Cancel a run.", request=None, responses=RunSerializer)
    def post(self, request, pk):
        run = _visible_run(request, pk)
        self.check_object_permissions(request, run)
        if not runs.cancel(run, by=request.user):
            raise Conflict(f"The run has already ended ({run.status}).")
        return Response(RunSerializer(run).data)


class RunRetry(APIView):
    """Run a failed or cancelled run again from its first unfinished step. 409 for any other run."""

    object_policy = {"POST": "portal.retry_run"}
    denied_message = "You may not retry this run."

    @extend_schema(summary="Run a failed or cancelled run again.", request=None, responses=RunSerializer)
    def post(self, request, pk):
        run = _visible_run(request, pk)
        self.check_object_permissions(request, run)
        try:
            run = runs.retry(run, by=request.user)
        except runs.RunStateError as error:
            raise Conflict(str(error)) from None
        except runs.UnknownRunKind:  # a run of a kind this version no longer has (a former job's name)
            raise Conflict(f"The run cannot be retried: this version of Atrium has no run kind {run.kind!r}.") from None
        return Response(RunSerializer(run).data)
