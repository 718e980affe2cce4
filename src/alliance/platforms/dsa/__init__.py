"""Statements of reasons under the EU's Digital Services Act (Art. 17, 24(5)): in the
Transparency Database's words (``schemas``), from a removal (``statements``), submitted
in resumable batches (``client``), each step audited (``services``). See docs/platforms.md."""
