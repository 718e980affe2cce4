"""Where a URL is hosted.

URL normalisation, DNS, country and ASN from an .mmdb file, the provider directory, and
a fetch client that refuses private addresses.
"""
