"""The demo platform's upload folder: each edit of a banked picture is found, nothing else."""

from __future__ import annotations

from alliance.demo import media
from alliance.demo.world import BANKED
from alliance.hashing import pdq, variants
from alliance.matching.pdq_index import PdqIndex

SEED = 7


def test_every_edit_of_a_banked_picture_is_found_and_nothing_else() -> None:
    banked = [SEED * 100 + i for i in BANKED[:8]]  # the pictures the uploads edit
    digests, ids, kinds = [], [], []
    for seed in banked:
        for kind, value in variants.hash_variants(media.jpeg(media.picture(seed))).items():
            digests.append(value.digest)
            ids.append(str(seed))
            kinds.append(kind)
    index = PdqIndex.build(digests, ids, variants=kinds)
    found: dict[str, set[str]] = {}
    for upload in media.uploads(SEED, banked):
        if not upload.name.endswith(".jpg"):
            continue
        # What the scanner searches: the picture's query forms.
        queries = variants.query_hashes(upload.data)
        matches = index.search_many(list(queries.values()), pdq.MATCH_THRESHOLD)
        found[upload.name] = {m.variant for ms in matches for m in ms}
        assert bool(found[upload.name]) == upload.expect_match, upload.name
    assert found["upload-08-captioned.jpg"] == {"middle_70"}
