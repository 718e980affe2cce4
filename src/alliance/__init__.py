"""Alliance: find known child sexual abuse material by hash, take it down fast without
jeopardising investigations, identify more victims and coordinate across borders.

Layers (each imports only those below it)::

    interfaces  web/  cli/  worker/  demo/
    domain      banks/  takedown/  hosting/  victims/  cooperation/  legal/  ...
    platform    accounts/  audit/  db/
    engine      hashing/  matching/          (pure: no database, no web)
"""

__version__ = "0.1.0"
