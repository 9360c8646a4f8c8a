from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.fields import empty
from rest_framework.pagination import CursorPagination, LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import params, permissions, runs
from portal.api import filters
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


# --- parameters: whole numbers as portal.params reads them ------------------------------------------


class WholeNumberField(serializers.IntegerField):
    """A whole number read by ``portal.params.integer`` (ASCII digits, at most 2**63-1, at least
    ``min_value``; above ``max_value`` refused); a blank value is a missing one."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", params.MAX_INTEGER)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        return super().validate_empty_values(empty if isinstance(data, str) and not data.strip() else data)

    def to_internal_value(self, data):
        name = self.field_name or "value"
        try:
            value = params.integer(name, str(data), None, minimum=self.min_value or 0)
        except params.ParamError as error:
            raise serializers.ValidationError(str(error)) from None
        if value is None:  # blank: read as missing by validate_empty_values
            self.fail("invalid")
        if self.max_value is not None and value > self.max_value:
            raise serializers.ValidationError(f"{name} must be at most {self.max_value}.")
        return value


def _whole_number(request, name: str, default: int, *, minimum: int, cap: int) -> int:
    """A paginator's parameter: 400 unless it is a whole number of at least ``minimum``; capped at ``cap``."""
    try:
        return params.integer(name, request.query_params.get(name), default, minimum=minimum, cap=cap)
    except params.ParamError as error:
        raise exceptions.ValidationError({name: [str(error)]}) from None


class AuditListQuery(filters.AuditQuery):
    actor = WholeNumberField(required=False, min_value=1, help_text="Id of the acting user.")


class RunListQuery(filters.RunQuery):
    created_by = WholeNumberField(required=False, min_value=1, help_text="Id of the user who started it.")


class AuditPagination(CursorPagination):
    ordering = ("-timestamp", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500
    invalid_cursor_message = "Invalid cursor: use the next or previous link of a page."

    def get_page_size(self, request):
        return _whole_number(request, "limit", self.page_size, minimum=1, cap=self.max_page_size)

    def decode_cursor(self, request):
        """DRF's cursor, with its position (a timestamp) checked before a query compares it: 400 when
        the cursor is not one of ours."""
        try:
            cursor = super().decode_cursor(request)
            if cursor is not None and cursor.position is not None:
                moment = AuditEntry._meta.get_field("timestamp").to_python(cursor.position)
                if moment is None or timezone.is_naive(moment):
                    raise ValueError(cursor.position)
        except (exceptions.NotFound, DjangoValidationError, ValueError):
            raise exceptions.ValidationError({"cursor": [self.invalid_cursor_message]}) from None
        return cursor


class RunPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500

    def get_limit(self, request):
        return _whole_number(request, "limit", self.default_limit, minimum=1, cap=self.max_limit)

    def get_offset(self, request):
        try:
            return params.integer("offset", request.query_params.get("offset"), 0)
        except params.ParamError as error:
            if error.problem == params.TOO_LARGE:
                return params.MAX_INTEGER  # past every count: an empty page, however large it is written
            raise exceptions.ValidationError({"offset": [str(error)]}) from None


@extend_schema(summary="The audit trail: who did what, when.", parameters=[AuditListQuery])
class AuditEntryList(generics.ListAPIView):
    """The audit trail, newest first: portal administrators only, and read-only for everyone."""

    serializer_class = AuditEntrySerializer
    policy = {"GET": "portal.view_audit"}
    pagination_class = AuditPagination

    def get_queryset(self):
        query = AuditListQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return query.apply(AuditEntry.objects.all())


@extend_schema(
    summary="Background runs (scaffolder tasks, catalog refreshes …), newest first.", parameters=[RunListQuery]
)
class RunList(generics.ListAPIView):
    """Background runs of every kind, newest first: every run for administrators, one's own for anyone else."""

    serializer_class = RunSerializer
    pagination_class = RunPagination

    def get_queryset(self):
        query = RunListQuery(data=self.request.query_params)
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
    after = WholeNumberField(required=False, help_text="Events after this id.")
    limit = WholeNumberField(required=False, min_value=1, max_value=1000, default=500)


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
