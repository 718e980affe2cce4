"""The legal-framework matrix (issue 16, part 4): each member country's law reviewed
against ICMEC's model-legislation criteria and the Out of the Shadows indicator 4.4.

- :mod:`alliance.legal.matrix`: recording, publishing and reading reviews (every one kept).
- :mod:`alliance.legal.gaps`: the gap report.
- :mod:`alliance.legal.exchange`: CSV and JSON import (all or nothing) and export.
- :mod:`alliance.legal.hints`: the takedown item page's hint about the hosting country's law.
"""
