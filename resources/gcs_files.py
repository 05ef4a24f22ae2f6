"""gcsfs with plain read-ahead for reads, instead of fsspec's adaptive background prefetcher.

gcsfs 2026.10 reads every file through fsspec 2026.9's `BackgroundPrefetcher` ("adaptive" cache) unless
told otherwise. Its producer task waits on an event that nothing references once a file that was read
in part (a Parquet footer, DuckDB's ranged reads) is closed or dropped, so asyncio destroys the task
still pending and logs "Task was destroyed but it is pending!" for each file: ~100 lines per backfill.
The lake reads whole objects or footers; fsspec's classic read-ahead cache is what those need.
Registered for gs:// and gcs:// by `resources.files.quiet_gcs_reads`.

Credentials: Google's application default credentials (a key file named by GOOGLE_APPLICATION_CREDENTIALS,
else the VM's or pod's service account). gcsfs without a token tries them and, when they fail, falls back
to anonymous access without a word, so a missing credential would surface later as a 401/403 on the first
object; token="google_default" fails at once with google.auth's message. An explicit token (the emulator
tests' FSSPEC_GCS_TOKEN=anon) still wins.
"""

from __future__ import annotations

from gcsfs import GCSFileSystem

READ_CACHE = "readahead"


class ReadaheadGCSFileSystem(GCSFileSystem):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("token", "google_default")
        super().__init__(*args, **kwargs)

    def _open(self, path, mode="rb", *args, **kwargs):
        if "r" in mode:
            kwargs.setdefault("cache_type", READ_CACHE)
        return super()._open(path, mode, *args, **kwargs)
