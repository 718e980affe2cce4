"""Lists for blocking that the alliance publishes to internet providers and search
engines: confirmed, still-live CSAM pages (the URL list) and search terms (the keyword
list), signed and synced as hash banks are."""
