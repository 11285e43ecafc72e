"""Django's `makemigrations --merge` as an oracle for migcheck's merge tests.

Reads one JSON request on stdin, writes one JSON response on stdout:

  request:  {"trees": [{"root": "/abs/dir",
                        "apps": [{"label": "blog", "module": "blog.migrations"}],
                        "settings": {"AUTH_USER_MODEL": "auth.User"},
                        "contrib": true,
                        "mode": "merge" | "verify",
                        # merge mode only:
                        "app_labels": [], "name": null, "include_header": true,
                        "now": "2026-11-23T13:47:00Z", "time_zone": "UTC",
                        "use_tz": false | true | null (Django's default)}]}
  response: {"results": [{"error": null | {"type": "ValueError", "message": "..."},
                          "created": {"blog/migrations/0003_merge_a_b.py": "<text>"},
                          "stdout": "...",
                          # verify mode only:
                          "conflicts": {}, "plan": "Planned operations: ..."}]}

merge:  `call_command('makemigrations', *app_labels, merge=True, interactive=False, ...)` on the
        tree, with the clock frozen at `now` (Django's own code still picks UTC or local time:
        only `datetime.now()`/`utcnow()` are frozen, and TZ is set to `time_zone` the way Django's
        settings set it from TIME_ZONE). `created` holds every file that appeared in the tree.
verify: the loader's `detect_conflicts()` on the tree, then `migrate --plan` on SQLite.

Django is configured once; each tree's modules are forgotten before the next tree, which may use
the same labels and module names. Run it with /usr/bin/python3: Debian's python3-django (3.2), or
another release put first on PYTHONPATH (test/helpers/django.ts does that). Django 4.1+ runs black
on the file it writes when black is on PATH; the caller chooses the PATH.
"""

import datetime
import io
import os
import sys
import time
import types

sys.dont_write_bytecode = True  # before anything is imported: no __pycache__ beside the scripts

from django_env import configure, installed_tree, serve

# USE_TZ is left to each tree: `use_tz` null keeps Django's own default (False before 5.0, True since).
configure(SECRET_KEY='migcheck-merge-oracle', TIME_ZONE='UTC')

from django.core.management import call_command  # noqa: E402
from django.db.migrations import utils as migration_utils  # noqa: E402
from django.db.migrations.loader import MigrationLoader  # noqa: E402
from django.utils import timezone as dj_timezone  # noqa: E402

class Clock:
    """Freeze `datetime.now()`/`utcnow()` where Django reads them; leave Django's choices alone."""

    def __init__(self, instant, time_zone):
        self.timestamp = instant.timestamp()
        self.time_zone = time_zone

    def __enter__(self):
        ts = self.timestamp

        class Frozen(datetime.datetime):
            @classmethod
            def now(cls, tz=None):
                return datetime.datetime.fromtimestamp(ts, tz)

            @classmethod
            def utcnow(cls):
                return datetime.datetime.utcfromtimestamp(ts)

        self.saved = (migration_utils.datetime, dj_timezone.datetime, os.environ.get('TZ'))
        # utils.py does `import datetime; datetime.datetime.now()`; timezone.py imported the class.
        migration_utils.datetime = types.SimpleNamespace(datetime=Frozen)
        dj_timezone.datetime = Frozen
        # What django.conf.Settings does with TIME_ZONE (settings.configure() does not).
        os.environ['TZ'] = self.time_zone
        time.tzset()
        return self

    def __exit__(self, *exc):
        migration_utils.datetime, dj_timezone.datetime, tz = self.saved
        if tz is None:
            os.environ.pop('TZ', None)
        else:
            os.environ['TZ'] = tz
        time.tzset()
        return False


def list_files(root):
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != '__pycache__']
        for name in files:
            path = os.path.join(folder, name)
            found[os.path.relpath(path, root).replace(os.sep, '/')] = os.stat(path).st_mtime_ns
    return found


def run_tree(tree):
    root = os.path.realpath(tree['root'])
    mode = tree.get('mode', 'merge')
    time_zone = tree.get('time_zone') or 'UTC'
    overrides = {'TIME_ZONE': time_zone} if mode == 'merge' else {}
    if mode == 'merge' and tree.get('use_tz') is not None:
        overrides['USE_TZ'] = bool(tree['use_tz'])
    result = {'error': None, 'created': {}, 'stdout': ''}
    before = list_files(root)
    out = io.StringIO()
    try:
        with installed_tree(tree, overrides):
            if mode == 'merge':
                instant = datetime.datetime.fromisoformat(tree['now'].replace('Z', '+00:00'))
                with Clock(instant, time_zone):
                    call_command(
                        'makemigrations', *tree.get('app_labels', []),
                        merge=True, interactive=False, name=tree.get('name'),
                        include_header=tree.get('include_header', True),
                        stdout=out, stderr=out, verbosity=1,
                    )
            else:
                loader = MigrationLoader(None, ignore_no_migrations=True)
                result['conflicts'] = {
                    app: sorted(names) for app, names in loader.detect_conflicts().items()
                }
                call_command('migrate', plan=True, skip_checks=True, stdout=out, stderr=out, verbosity=1)
                result['plan'] = out.getvalue()
    except SystemExit as e:
        result['error'] = {'type': 'SystemExit', 'message': '%s %s' % (e.code, out.getvalue())}
    except Exception as e:
        result['error'] = {'type': type(e).__name__, 'message': str(e)}
    result['stdout'] = out.getvalue()
    after = list_files(root)
    for rel, mtime in sorted(after.items()):
        if before.get(rel) != mtime:
            with open(os.path.join(root, rel), encoding='utf-8', newline='') as f:
                result['created'][rel] = f.read()
    return result


if __name__ == '__main__':
    serve(run_tree)
