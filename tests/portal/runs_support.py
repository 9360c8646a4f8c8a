"""Run kinds and helpers of the run engine's tests: test data, registered as an app's runs.py registers its own."""

import threading
import time

from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth import get_user_model
from django.db import connection

from portal import runs
from portal.models import RunEvent, RunStep
from portal.runs import claims

CALLS: list[str] = []


def add(ctx):
    CALLS.append(str(ctx.run.pk))
    ctx.info(f"Adding {ctx.params['a']} and {ctx.params['b']}.")
    return {"sum": ctx.params["a"] + ctx.params["b"]}


def _double(ctx):
    return {"double": ctx.outputs["add"]["sum"] * 2}


class Arithmetic(runs.RunKind):
    name = "tests.arithmetic"
    steps = (runs.Step("add", "Add", add), runs.Step("double", "Double", _double))


def _flaky(ctx):
    if ctx.step.attempts <= ctx.params["fail_times"]:
        raise runs.TransientError(f"GitHub answered 503 (try {ctx.step.attempts})")
    return {"try": ctx.step.attempts}


class Flaky(runs.RunKind):
    name = "tests.flaky"
    steps = (runs.Step("call", "Call GitHub", _flaky),)
    max_attempts = 3
    retry_base = 40.0


def _missing(ctx):
    raise runs.PermanentError("GitHub answered 404: no repository acme/orders")


def _broken(ctx):
    raise ValueError("unexpected " + ctx.secrets.get("token", ""))


def _slow(ctx):
    raise SoftTimeLimitExceeded()


def _skip(ctx):
    raise runs.SkipStep("Nothing to do: the repository exists")


def _wait_for_cancel(ctx):
    if ctx.params.get("cancel_while_running"):
        runs.cancel(ctx.run, by=ctx.user)  # as a user would, from a web request, while the step runs
    for _ in range(300):
        ctx.check_cancelled()
        time.sleep(0.01)
    return {}


def _rename(ctx):
    account = get_user_model().objects.get(pk=ctx.params["user_id"])
    account.first_name = ctx.params["first_name"]
    account.save()


def _log_secret(ctx):
    ctx.info(f"Using token {ctx.secrets['token']}")
    return {"header": f"Bearer {ctx.secrets['token']}"}


class Missing(runs.RunKind):
    name = "tests.missing"
    steps = (runs.Step("fetch", "Fetch", _missing), runs.Step("after", "After", add))


class Broken(runs.RunKind):
    name = "tests.broken"
    steps = (runs.Step("boom", "Boom", _broken),)


class Slow(runs.RunKind):
    name = "tests.slow"
    steps = (runs.Step("slow", "Slow", _slow),)


class Skipping(runs.RunKind):
    name = "tests.skipping"
    steps = (runs.Step("create", "Create the repository", _skip), runs.Step("add", "Add", add))


def _fail_softly(ctx):
    raise runs.StepFailed("Would fail: no GitHub token", output={"remoteUrl": "https://github.com/acme/x.git"})


class FailingSoftly(runs.RunKind):
    name = "tests.failing_softly"
    steps = (runs.Step("publish", "Publish", _fail_softly), runs.Step("add", "Add", add))

    def finish(self, ctx):
        return {"seen": sorted(ctx.outputs)}


class Cancellable(runs.RunKind):
    name = "tests.cancellable"
    steps = (runs.Step("wait", "Wait", _wait_for_cancel), runs.Step("add", "Add", add))


class Rename(runs.RunKind):
    name = "tests.rename"
    steps = (runs.Step("rename", "Rename", _rename),)


class Secretive(runs.RunKind):
    name = "tests.secretive"
    steps = (runs.Step("use", "Use the token", _log_secret),)


for _kind in (
    Arithmetic(),
    Flaky(),
    Missing(),
    Broken(),
    Slow(),
    Skipping(),
    FailingSoftly(),
    Cancellable(),
    Rename(),
    Secretive(),
):
    runs.register(_kind)


def start_run(kind, **options):
    options.setdefault("params", {"a": 2, "b": 3} if kind in ("tests.arithmetic", "tests.skipping") else {})
    return runs.start(kind, **options)


def claimed(run_id) -> claims.Claim:
    """The claim of a run that must be claimable now."""
    claim = claims.claim(run_id)
    assert claim is not None
    return claim


def messages(run):
    return [event.body.get("message") for event in RunEvent.objects.filter(run_id=run.pk).order_by("id")]


def steps_of(run):
    return list(RunStep.objects.filter(run_id=run.pk).order_by("index").values_list("key", "status", "attempts"))


def race(function, run_id, contenders=2):
    barrier = threading.Barrier(contenders)
    results, errors = [], []

    def contender():
        try:
            barrier.wait(timeout=10)
            results.append(function(run_id))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=contender) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    return results
