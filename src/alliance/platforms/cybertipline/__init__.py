"""Reports to NCMEC's CyberTipline: the case (``schemas``), its XML checked against our
schema (``document``, ``cybertipline.xsd``) and the resumable call flow (``client``).
See docs/platforms.md."""
