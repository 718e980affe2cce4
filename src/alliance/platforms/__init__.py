"""What a platform or provider runs on its own side: the reports the law asks of it
(NCMEC's CyberTipline in the US, statements of reasons under the EU's Digital Services Act)
and, in member mode, the review of its matches."""
