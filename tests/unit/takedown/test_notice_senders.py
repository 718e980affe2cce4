"""The worker's notices name the organisation that assessed the content, and its
trusted-flagger status (EU DSA Art. 16(2)(a), Art. 22) as recorded on the organisation."""

from __future__ import annotations

from alliance.accounts import services as accounts
from alliance.db.session import transaction
from alliance.demo.mailbox import message_text
from alliance.takedown import assessment, intake
from alliance.takedown.models import Classification
from alliance.takedown.schemas import AssessmentIn, ReportIn
from tests import factories
from tests.support.takedown_world import TakedownWorld

URL = "http://photos.example.test/tf/1.png"  # hosted in NL: the NL hotline assesses it
COORDINATOR = "ACM, the Netherlands' Digital Services Coordinator"


def _notice_for(world: TakedownWorld, url: str) -> str:
    with transaction(world.sessions) as session:
        receipt = intake.submit_reports(session, intake.PUBLIC, [ReportIn(urls=[url])])[0]
    ref = receipt.items[0].item
    world.worker().run_until_idle()
    analyst = world.principal("nl-analyst")
    with transaction(world.sessions) as session:
        assessment.claim_item(session, analyst, ref, world.settings)
        assessment.assess_item(
            session,
            analyst,
            ref,
            AssessmentIn(classification=Classification.baseline),
            world.settings,
        )
    world.worker().run_until_idle()
    [message] = world.mailbox.wait_for(1)
    return " ".join(message_text(message).split())


def test_a_notice_names_the_assessing_hotline_and_its_trusted_flagger_status(
    world: TakedownWorld,
) -> None:
    hotline = world.orgs["nl-hotline"]
    with transaction(world.sessions) as session:
        accounts.set_trusted_flagger(session, factories.OPERATOR, hotline.slug, COORDINATOR)
    text = _notice_for(world, URL)
    assert f"Assessed by: {hotline.name} (NL); a trusted flagger" in text
    assert (
        f"Trusted flagger: {hotline.name} is a trusted flagger under Article 22 of the EU "
        f"Digital Services Act, a status awarded by {COORDINATOR}."
    ) in text
    assert "Why it is illegal:" in text and "Directive 2011/93/EU" in text


def test_without_the_status_a_notice_claims_none(world: TakedownWorld) -> None:
    hotline = world.orgs["nl-hotline"]
    text = _notice_for(world, URL)
    assert f"Assessed by: {hotline.name} (NL)" in text
    assert "trusted flagger under Article 22" not in text
