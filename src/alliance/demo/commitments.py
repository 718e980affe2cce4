"""Demo commitments: plausible synthetic texts for several member countries over three
reporting cycles, so that the commitments pages (and the next issue's progress report)
mean something.

Synthetic, not any country's statement: each text says so. Every country but the
Netherlands has its two earlier cycles published and the current one submitted or
published; the Netherlands' current cycle is a draft its editor (``nl-editor``) can work
on, submit, and see the secretariat publish. Deterministic from the demo's seed.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from alliance.accounts.policy import Principal
from alliance.countries import commitments, country_name
from alliance.countries.schemas import CommitmentIn

#: Countries with demo commitments (all in the demo register).
COUNTRIES = ("NL", "GB", "DE", "FR", "SE", "BE", "AU", "US", "JP", "PH")
NOTE = "_Demo data: synthetic text, not a statement of {name}._"

#: Per target: (baseline actions, committed actions, progress lines), each with the
#: framework items and indicators it serves.
ACTIONS: dict[int, tuple[list[str], list[str], list[str]]] = {
    1: (
        [
            "A national victim identification team in the police, connected to the "
            "international image database [[mnr2015.cap.7]]",
            "Specialist support for identified children through child protection services "
            "[[mnr2015.cap.8]]",
            "A child helpline answering around the clock [[mnr2015.cap.11]]",
        ],
        [
            "Grow the number of identified victims by 10 % a year [[ga2012.goal.1]] "
            "[[indicator:victims.identified_growth]]",
            "Train {n} more victim identification specialists [[mnr2015.cap.4]]",
            "Refer every identified child to support within 30 days [[mnr2015.cap.8]]",
        ],
        [
            "{n} victim identification specialists trained this cycle",
            "Series triage against the shared database now runs on every seizure "
            "[[indicator:victims.seizures_triaged]]",
            "Referral to support took {d} days on average",
        ],
    ),
    2: (
        [
            "Possession, production and distribution of abuse material are crimes "
            "[[mnr2015.cap.3]] [[ga2012.goal.2]]",
            "A dedicated online child abuse unit in the national police [[mnr2015.cap.4]]",
        ],
        [
            "Criminalise grooming online and AI-generated abuse material [[ga2012.goal.2]]",
            "Deconflict every investigation with partner agencies [[ga2012.goal.3]] "
            "[[indicator:cooperation.alerts_acknowledged]]",
            "Specialised prosecutors in every district [[mnr2015.cap.5]]",
        ],
        [
            "A bill on AI-generated material was sent to parliament",
            "{n} joint operations with partner agencies",
            "Prosecutors trained in {n} districts",
        ],
    ),
    3: (
        [
            "A national awareness campaign for parents on online risks [[ga2012.goal.4]]",
            "School lessons on online safety in the curriculum [[mnr2015.cap.13]]",
        ],
        [
            "A campaign for teenagers on self-generated imagery and sextortion "
            "[[ga2012.goal.5]] [[indicator:library.entries]]",
            "Share the campaign's material in the alliance's library for reuse "
            "[[ga2012.goal.4]] [[indicator:library.adoptions]]",
            "Involve young people in designing the messages [[mnr2015.cap.14]]",
        ],
        [
            "The campaign reached about {n}0 000 teenagers (self-reported)",
            "Campaign material published in the library; {k} members adopted it",
        ],
    ),
    4: (
        [
            "A national hotline taking public reports [[mnr2015.cap.12]]",
            "Notice and takedown with hosting providers [[mnr2015.cap.16]]",
        ],
        [
            "Cut the median time from report to removal [[ga2012.goal.7]] "
            "[[indicator:takedown.median_hours]]",
            "Industry partners match uploads against the hash banks [[ga2012.goal.6]] "
            "[[indicator:banks.matches]] [[mnr2015.cap.19]]",
            "Report every confirmed item to the shared hash banks [[mnr2015.cap.17]]",
        ],
        [
            "Median time to removal down to {h} hours",
            "{k} more platforms scan against the hash banks",
        ],
    ),
}


def _editor(code: str) -> Principal:
    """A country's government editor: the demo's own for NL and GB (``nl-editor``), a
    stand-in for the other countries, which have no government organisation in the demo."""
    return Principal.country_editor(code, kind="demo", name=f"{code.lower()}-editor")


def _text(rng: random.Random, code: str, target: int, cycle: int, current: bool) -> CommitmentIn:
    baseline, committed, progress = ACTIONS[target]

    def fill(line: str) -> str:
        return line.format(
            n=rng.randint(2, 12), d=rng.randint(8, 40), h=rng.randint(12, 60), k=rng.randint(1, 5)
        )

    note = NOTE.format(name=country_name(code) or code)
    chosen = rng.sample(committed, k=min(len(committed), rng.randint(2, 3)))
    done = progress[: rng.randint(1, len(progress))]
    return CommitmentIn(
        version=0,
        baseline="\n".join(f"- {fill(a)}" for a in baseline) + f"\n\n{note}",
        committed="\n".join(f"- {fill(a)}" for a in chosen),
        progress="" if current else "\n".join(f"- {fill(a)}" for a in done),
    )


def build(session: Session, actor: Principal, seed: int) -> int:
    """Write the demo commitments; the number of texts written."""
    rng = random.Random(f"commitments-{seed}")  # noqa: S311 - demo data, not secrets
    this_year = datetime.now(UTC).year
    cycles = (this_year - 2, this_year - 1, this_year)
    written = 0
    for code in COUNTRIES:
        editor = _editor(code)
        for cycle in cycles:
            current = cycle == this_year
            for target in commitments.TARGET_NUMBERS:
                if current and code != "NL" and rng.random() < 0.25:
                    continue  # not every country has written every target yet
                data = _text(rng, code, target, cycle, current)
                saved = commitments.save(session, editor, code, cycle, target, data)
                written += 1
                if current and code == "NL":
                    continue  # NL's current cycle: a draft for its editor
                if not current and rng.random() < 0.3:
                    # A second version: progress added later in the year.
                    data = data.model_copy(
                        update={
                            "version": saved.version,
                            "progress": data.progress + "\n- Evaluation report published",
                        }
                    )
                    saved = commitments.save(session, editor, code, cycle, target, data)
                commitments.submit(session, editor, code, cycle, target)
                if current and rng.random() < 0.5:
                    continue  # submitted, waiting for the secretariat
                commitments.publish(session, actor, code, cycle, target)
    return written
