"""What runs at a member (a platform or provider) in member mode: ``alliance serve --member``.

The member keeps a database of its own (its users, API keys, local banks, audit log and
the uploads that matched) and a verified local copy of the hub's banks it subscribes to
(:mod:`alliance.banks.local_store`), synced on a schedule. Its services ask, at upload
time, whether a file, a hash or a URL of its own storage matches:

- :mod:`profile` the member profile in settings, checked complete before serving;
- :mod:`schedule` the background sync (jittered, one at a time, audited);
- :mod:`deployment` the parts built once from the settings, among them the fetcher of the
  member's own storage (:mod:`alliance.hosting.storage`: there, and nothing else);
- :mod:`local_banks` the member's own banks, positive and negative (suppression);
- :mod:`matching` one query against the synced and the local banks together;
- :mod:`uploads` the upload-time operations, and ``record_upload``, the one place an
  upload's matches are written (the review queue opens its cases from them);
- :mod:`review` an upload's matches opening its review case;
- the reports that follow a confirmed case, each kept on the case and resumed from where
  it stopped: :mod:`cybertipline` (NCMEC, the file from the member's own storage, read by
  :mod:`case_content`), :mod:`dsa` (the statement of reasons), :mod:`police` (the industry
  report through the hub); :mod:`uploader` the uploader as a reviewer gives it,
  :mod:`destinations` where the reports go, from the settings.
"""
