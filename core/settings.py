"""Configuration: defaults, ``instance/config.py``, ``PASSAGE_*`` variables, then overrides.

Production (``PASSAGE_ENV`` unset or ``production``) refuses to start with any setting that
would weaken the service, or with an instance folder other users may open; :func:`check` names
the setting and how to fix it.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from core import i18n

ENVIRONMENTS = ("production", "development", "testing")
# Development and tests serve on this machine; `make run` answers on 127.0.0.1:5000.
DEV_BASE_URL = "http://127.0.0.1:5000"
DEV_HOSTS = ("127.0.0.1", "localhost")

# Policy floor for Argon2id (OWASP / RFC 9106 second recommendation).
ARGON2_MIN = {"ARGON2_TIME_COST": 3, "ARGON2_MEMORY_COST": 65536, "ARGON2_PARALLELISM": 1}

# The default red-flag protocols (docs/screening.md §7), kind by kind. Generic on purpose:
# every deployment replaces the contacts with its own emergency number, duty lines and
# partners in instance/config.py. Steps are read by the screener, in the interview language.
RED_FLAG_PROTOCOLS: dict[str, dict[str, dict[str, Any]]] = {
    "emergency": {
        "title": {"en": "Immediate danger", "fr": "Danger immédiat", "es": "Peligro inmediato"},
        "steps": {
            "en": [
                "If anyone is hurt or in danger right now, call the emergency services.",
                "If it is safe, move the person and yourself away from anyone who may "
                "control them. Never confront that person.",
                "Tell the duty protection officer at once; do not say the person's name "
                "over an open line.",
                "If others are still held, or a move or sale is expected, say so to the "
                "duty protection officer: they decide whether to alert the police.",
                "Stay with the person until help arrives or a safe plan is agreed.",
            ],
            "fr": [
                "Si quelqu'un est blessé ou en danger en ce moment, appelez les services "
                "d'urgence.",
                "Si c'est sans risque, éloignez la personne et vous-même de quiconque "
                "pourrait la contrôler. Ne confrontez jamais cette personne.",
                "Prévenez immédiatement le ou la responsable de protection de permanence ; "
                "ne dites pas le nom de la personne sur une ligne non sécurisée.",
                "Si d'autres personnes sont encore retenues, ou si un déplacement ou une "
                "vente est attendu, dites-le au ou à la responsable de protection : "
                "il ou elle décide d'alerter ou non la police.",
                "Restez avec la personne jusqu'à l'arrivée de l'aide ou jusqu'à ce qu'un "
                "plan sûr soit convenu.",
            ],
            "es": [
                "Si alguien está herido o en peligro ahora mismo, llame a los servicios "
                "de emergencia.",
                "Si es seguro, aleje a la persona y aléjese usted de quien pueda "
                "controlarla. Nunca confronte a esa persona.",
                "Avise de inmediato a la persona responsable de protección de guardia; no "
                "diga el nombre de la persona por una línea no segura.",
                "Si hay otras personas todavía retenidas, o se espera un traslado o una "
                "venta, dígaselo a la persona responsable de protección: ella decide si "
                "avisar a la policía.",
                "Quédese con la persona hasta que llegue ayuda o se acuerde un plan seguro.",
            ],
        },
        "contact": {
            "en": "the emergency services (the local emergency number) and the duty "
            "protection officer",
            "fr": "les services d'urgence (le numéro d'urgence local) et le ou la "
            "responsable de protection de permanence",
            "es": "los servicios de emergencia (el número de emergencia local) y la "
            "persona responsable de protección de guardia",
        },
    },
    "medical": {
        "title": {
            "en": "Medical care needed",
            "fr": "Soins médicaux nécessaires",
            "es": "Necesita atención médica",
        },
        "steps": {
            "en": [
                "If the injury or illness may be life-threatening, call the emergency "
                "services now.",
                "Otherwise arrange, with the person's agreement, for a doctor or nurse to "
                "see them today; offer to go with them.",
                "Do not examine injuries yourself or ask how they happened.",
                "Tell your supervisor.",
            ],
            "fr": [
                "Si la blessure ou la maladie peut mettre la vie en danger, appelez "
                "maintenant les services d'urgence.",
                "Sinon, avec l'accord de la personne, organisez une consultation avec un "
                "médecin ou un infirmier aujourd'hui ; proposez de l'accompagner.",
                "N'examinez pas vous-même les blessures et ne demandez pas comment elles "
                "sont arrivées.",
                "Prévenez votre superviseur.",
            ],
            "es": [
                "Si la herida o la enfermedad puede poner en riesgo la vida, llame ahora "
                "a los servicios de emergencia.",
                "Si no, con el acuerdo de la persona, organice que un médico o una "
                "enfermera la vea hoy; ofrezca acompañarla.",
                "No examine usted las heridas ni pregunte cómo ocurrieron.",
                "Avise a su supervisor.",
            ],
        },
        "contact": {
            "en": "the emergency services if life is at risk; otherwise the partner "
            "clinic or the health worker on call",
            "fr": "les services d'urgence si la vie est en danger ; sinon la clinique "
            "partenaire ou le soignant de garde",
            "es": "los servicios de emergencia si la vida está en riesgo; si no, la "
            "clínica asociada o el personal de salud de guardia",
        },
    },
    "suicide_risk": {
        "title": {
            "en": "Risk of suicide or self-harm",
            "fr": "Risque de suicide ou d'automutilation",
            "es": "Riesgo de suicidio o de autolesión",
        },
        "steps": {
            "en": [
                "Stay calm and stay with the person; do not leave them alone.",
                "Ask plainly whether they have a plan or the means to hurt themselves now; "
                "asking does not put the idea in their mind.",
                "If the risk is immediate, call the emergency services.",
                "Otherwise call the mental-health or psychosocial worker on call today, "
                "and agree with the person who will check on them and when.",
                "Tell your supervisor.",
            ],
            "fr": [
                "Restez calme et restez avec la personne ; ne la laissez pas seule.",
                "Demandez simplement si elle a un projet ou les moyens de se faire du mal "
                "maintenant ; poser la question ne lui en donne pas l'idée.",
                "Si le risque est immédiat, appelez les services d'urgence.",
                "Sinon, appelez aujourd'hui l'intervenant en santé mentale ou psychosociale "
                "de garde, et convenez avec la personne de qui prendra de ses nouvelles, "
                "et quand.",
                "Prévenez votre superviseur.",
            ],
            "es": [
                "Mantenga la calma y quédese con la persona; no la deje sola.",
                "Pregunte con claridad si tiene un plan o los medios para hacerse daño "
                "ahora; preguntarlo no le da la idea.",
                "Si el riesgo es inmediato, llame a los servicios de emergencia.",
                "Si no, llame hoy al profesional de salud mental o psicosocial de guardia y "
                "acuerde con la persona quién la llamará y cuándo.",
                "Avise a su supervisor.",
            ],
        },
        "contact": {
            "en": "the mental-health or psychosocial worker on call; the emergency "
            "services if the risk is immediate",
            "fr": "l'intervenant en santé mentale ou psychosociale de garde ; les "
            "services d'urgence si le risque est immédiat",
            "es": "el profesional de salud mental o psicosocial de guardia; los "
            "servicios de emergencia si el riesgo es inmediato",
        },
    },
    "child_protection": {
        "title": {
            "en": "Child protection",
            "fr": "Protection de l'enfance",
            "es": "Protección de la infancia",
        },
        "steps": {
            "en": [
                "If the child is hurt or in immediate danger, call the emergency services first.",
                "Call the child-protection duty line now: child-protection staff take over "
                "the interview.",
                "Do not let the child leave with an adult whose link to them is not confirmed.",
                "Stay with the child, in a safe place, until child-protection staff arrive.",
                "Tell your supervisor.",
            ],
            "fr": [
                "Si l'enfant est blessé ou en danger immédiat, appelez d'abord les services "
                "d'urgence.",
                "Appelez maintenant la permanence de protection de l'enfance : son "
                "personnel reprend l'entretien.",
                "Ne laissez pas l'enfant partir avec un adulte dont le lien avec lui n'est "
                "pas confirmé.",
                "Restez avec l'enfant, dans un lieu sûr, jusqu'à l'arrivée du personnel de "
                "protection de l'enfance.",
                "Prévenez votre superviseur.",
            ],
            "es": [
                "Si el niño o la niña está herido o en peligro inmediato, llame primero a "
                "los servicios de emergencia.",
                "Llame ahora a la línea de guardia de protección de la infancia: su "
                "personal continúa la entrevista.",
                "No deje que se vaya con un adulto cuyo vínculo no esté confirmado.",
                "Quédese con el niño o la niña, en un lugar seguro, hasta que llegue el "
                "personal de protección de la infancia.",
                "Avise a su supervisor.",
            ],
        },
        "contact": {
            "en": "the child-protection duty line (and the emergency services if the "
            "child is in immediate danger)",
            "fr": "la permanence de protection de l'enfance (et les services d'urgence "
            "si l'enfant est en danger immédiat)",
            "es": "la línea de guardia de protección de la infancia (y los servicios de "
            "emergencia si hay peligro inmediato)",
        },
    },
    "missing_person": {
        "title": {"en": "Missing person", "fr": "Personne disparue", "es": "Persona desaparecida"},
        "steps": {
            "en": [
                "If the missing person may be in danger now, follow the emergency protocol.",
                "If the person agrees, note what could help find them: who they are, "
                "where and when they were last seen.",
                "With the person's agreement, pass it to the family-tracing service or to "
                "the police.",
                "Tell your supervisor.",
            ],
            "fr": [
                "Si la personne disparue est peut-être en danger maintenant, suivez le "
                "protocole d'urgence.",
                "Si la personne est d'accord, notez ce qui pourrait aider à la retrouver : "
                "qui elle est, où et quand elle a été vue pour la dernière fois.",
                "Avec l'accord de la personne, transmettez-le au service de recherche de "
                "familles ou à la police.",
                "Prévenez votre superviseur.",
            ],
            "es": [
                "Si la persona desaparecida puede estar en peligro ahora, siga el protocolo "
                "de emergencia.",
                "Si la persona está de acuerdo, anote lo que podría ayudar a encontrarla: "
                "quién es, dónde y cuándo se la vio por última vez.",
                "Con el acuerdo de la persona, páselo al servicio de búsqueda de familiares "
                "o a la policía.",
                "Avise a su supervisor.",
            ],
        },
        "contact": {
            "en": "the family-tracing service (Red Cross or Red Crescent) or the "
            "police missing-persons unit",
            "fr": "le service de rétablissement des liens familiaux (Croix-Rouge ou "
            "Croissant-Rouge) ou le service des personnes disparues de la police",
            "es": "el servicio de restablecimiento del contacto entre familiares (Cruz "
            "Roja o Media Luna Roja) o la unidad de personas desaparecidas de la "
            "policía",
        },
    },
    "same_day": {
        "title": {
            "en": "Same-day review",
            "fr": "Examen le jour même",
            "es": "Revisión en el mismo día",
        },
        "steps": {
            "en": [
                "Tell your supervisor today: this needs a decision before the person leaves.",
                "No safe place to sleep tonight: arrange emergency shelter before the "
                "person leaves.",
                "Detention or removal expected: contact a legal partner today.",
                "Interpreter possibly linked to the exploiter: stop sensitive questions "
                "until an independent interpreter is found, without saying why.",
            ],
            "fr": [
                "Prévenez votre superviseur aujourd'hui : une décision est nécessaire "
                "avant que la personne ne parte.",
                "Pas d'endroit sûr pour dormir ce soir : trouvez un hébergement d'urgence "
                "avant que la personne ne parte.",
                "Détention ou renvoi attendu : contactez un partenaire juridique aujourd'hui.",
                "Interprète peut-être lié à l'exploiteur : arrêtez les questions sensibles "
                "jusqu'à trouver un interprète indépendant, sans dire pourquoi.",
            ],
            "es": [
                "Avise hoy a su supervisor: hace falta una decisión antes de que la persona "
                "se vaya.",
                "Sin un lugar seguro para dormir esta noche: consiga alojamiento de "
                "emergencia antes de que la persona se vaya.",
                "Se espera detención o expulsión: contacte hoy con un socio jurídico.",
                "Intérprete posiblemente vinculado al explotador: detenga las preguntas "
                "delicadas hasta encontrar un intérprete independiente, sin decir por "
                "qué.",
            ],
        },
        "contact": {
            "en": "your supervisor or the duty protection officer, today",
            "fr": "votre superviseur ou le ou la responsable de protection de "
            "permanence, aujourd'hui",
            "es": "su supervisor o la persona responsable de protección de guardia, hoy mismo",
        },
    },
}

DEFAULTS: dict[str, Any] = {
    "ENV": "production",
    "SECRET_KEY": None,
    "DATABASE_URL": None,
    "DEBUG": False,
    "TESTING": False,
    "LANGUAGES": list(i18n.LANGUAGES),
    "BABEL_DEFAULT_LOCALE": "en",
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "TRUSTED_PROXIES": 0,
    "SESSION_IDLE_TIMEOUT": 30 * 60,
    "SESSION_ABSOLUTE_TIMEOUT": 12 * 60 * 60,
    "STEP_UP_MAX_AGE": 5 * 60,
    "SIGN_IN_STEP_MAX_AGE": 5 * 60,
    # Sign-in throttling per account (access.authn): free failures, then delays doubling
    # from LOGIN_DELAY up to LOGIN_DELAY_MAX seconds; failures are forgotten after
    # LOGIN_FAILURE_MEMORY seconds without one; LOCKOUT_THRESHOLD consecutive ones lock.
    "LOGIN_FAILURE_LIMIT": 5,
    "LOGIN_DELAY": 60,
    "LOGIN_DELAY_MAX": 15 * 60,
    "LOGIN_FAILURE_MEMORY": 24 * 60 * 60,
    "LOCKOUT_THRESHOLD": 100,
    "RATELIMIT_STORAGE_URI": "memory://",
    "LOGIN_RATE_LIMIT": "30 per minute",
    "API_RATE_LIMIT": "600 per minute",
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    "ARGON2_PARALLELISM": 4,
    "TOTP_ISSUER": "Passage",
    "API_TOKEN_DAYS": 90,
    "PASSWORD_LINK_HOURS": 24,
    # Days an account change waits for a second person's approval before it expires.
    "ACCOUNT_CHANGE_DAYS": 3,
    "RETENTION_DAYS": 730,
    # Statistics: counts under this many people are never published (docs/reporting.md §3);
    # 10 at the least, whatever is configured.
    "STATS_THRESHOLD": 10,
    # What a screener does when a red flag is raised: one protocol per kind, each with a
    # title, the steps and who to call, in every interview language. Set the deployment's own
    # numbers and duty lines in instance/config.py (the whole mapping: screening.protocols
    # checks it at start-up and names anything missing).
    "RED_FLAG_PROTOCOLS": RED_FLAG_PROTOCOLS,
    # When the hours a person gives count as excessive working hours (the interview asks
    # for numbers, not a judgement): this many hours a day, or this many days a week.
    "EXCESSIVE_HOURS_PER_DAY": 12,
    "EXCESSIVE_DAYS_PER_WEEK": 7,
    # Hours a partner has to answer a referral before the sender's supervisor is told, and
    # after which an unanswered referral expires so the sender can try the next partner.
    "REFERRAL_HOURS_URGENT": 24,
    "REFERRAL_HOURS_NORMAL": 72,
    "REFERRAL_EXPIRE_HOURS": 7 * 24,
    "BREAK_GLASS_MINUTES": 60,
    # E-mail for notices; none is sent while MAIL_SERVER is empty. Notices carry a link only.
    "MAIL_SERVER": "",
    "MAIL_PORT": 587,
    "MAIL_USE_TLS": True,
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_FROM": "passage@localhost",
    # `notices send` (referral.outbox): a notice's e-mail that fails is tried again after
    # MAIL_RETRY_DELAY seconds, doubling up to MAIL_RETRY_DELAY_MAX, and after
    # MAIL_MAX_ATTEMPTS attempts waits for an administrator (about two hours with these).
    "MAIL_MAX_ATTEMPTS": 8,
    "MAIL_RETRY_DELAY": 60,
    "MAIL_RETRY_DELAY_MAX": 60 * 60,
    # Where every link the service hands out points, e.g. https://passage.example.org; only
    # requests for its host are served. Required in production; elsewhere DEV_BASE_URL.
    "BASE_URL": None,
    # Further host names requests may use (an internal health-check name, say).
    "TRUSTED_HOSTS": None,
    "WTF_CSRF_TIME_LIMIT": None,
    # Referrer-Policy: no-referrer means browsers send no Referer, so Flask-WTF's referrer
    # check would refuse every form over HTTPS. The token and SameSite=Strict protect instead.
    "WTF_CSRF_SSL_STRICT": False,
    # None means "derive from ENV": Secure and __Host- everywhere but development.
    "SESSION_COOKIE_SECURE": None,
    "SESSION_COOKIE_NAME": None,
}


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the message says which setting and why."""


def load(app: Flask, overrides: dict[str, Any] | None) -> None:
    """Fill ``app.config`` from defaults, the instance file, the environment and ``overrides``."""
    app.config.update(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("PASSAGE")
    app.config.update(overrides or {})
    _derive(app)
    check(app.config, app.instance_path)


def _derive(app: Flask) -> None:
    config = app.config
    if config["DATABASE_URL"] is None:
        config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'passage.sqlite3'}"
    if config["SECRET_KEY"] is None and config["ENV"] != "production":
        # Development and tests may run without a configured key; sessions die with the process.
        logging.getLogger(__name__).warning("no SECRET_KEY configured; using a throwaway key")
        config["SECRET_KEY"] = secrets.token_urlsafe(48)
    if config["SESSION_COOKIE_SECURE"] is None:
        config["SESSION_COOKIE_SECURE"] = config["ENV"] != "development"
    secure = config["SESSION_COOKIE_SECURE"]
    if config["SESSION_COOKIE_NAME"] is None:
        # The __Host- prefix makes browsers refuse the cookie unless Secure, path=/, no domain.
        config["SESSION_COOKIE_NAME"] = "__Host-passage" if secure else "passage"
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Strict"
    config["SESSION_COOKIE_PATH"] = "/"
    config["SESSION_COOKIE_DOMAIN"] = None
    config["PREFERRED_URL_SCHEME"] = "https" if secure else "http"
    _derive_hosts(config)


def _derive_hosts(config: Any) -> None:
    # Links are built from BASE_URL, never from the Host header a client sends, and a request
    # naming another host is refused (400) rather than answered under a name we do not own.
    extra = config["TRUSTED_HOSTS"] or []
    if isinstance(extra, str):  # PASSAGE_TRUSTED_HOSTS=a.example,b.example
        extra = [name.strip() for name in extra.split(",") if name.strip()]
    extra = list(extra)
    if config["BASE_URL"] is None and config["ENV"] != "production":
        config["BASE_URL"] = DEV_BASE_URL
        extra.extend(DEV_HOSTS)
    host = urlsplit(str(config["BASE_URL"] or "")).hostname
    config["TRUSTED_HOSTS"] = sorted({*extra, host} - {None}) or None


def check(config: Any, instance_path: str | None = None) -> None:
    """Raise :class:`ConfigError` when ``config`` (or the instance folder at
    ``instance_path``) is unsafe for its environment."""
    env = config["ENV"]
    if env not in ENVIRONMENTS:
        raise ConfigError(f"PASSAGE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    if env != "production":
        return
    problems = list(_production_problems(config))
    if instance_path is not None:
        problems.extend(_instance_problems(Path(instance_path)))
    if problems:
        raise ConfigError("refusing to start in production: " + "; ".join(problems))


def _instance_problems(folder: Path) -> Any:
    # Configuration, keys and the SQLite database live here: nobody but the service user
    # may list, read or write it.
    if folder.exists() and folder.stat().st_mode & 0o077:
        mode = oct(folder.stat().st_mode & 0o777)[2:]
        yield (
            f"the instance folder {folder} is open to other users (mode {mode}): run "
            f"chmod 700 {folder} so that only the service user can read or write it"
        )


def _production_problems(config: Any) -> Any:
    key = config["SECRET_KEY"]
    if not key or len(str(key).encode()) < 32:
        yield (
            "SECRET_KEY must be set to at least 32 random bytes (instance/config.py or "
            "PASSAGE_SECRET_KEY); generate one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )
    if config["DEBUG"] or os.environ.get("FLASK_DEBUG", "0") not in ("", "0", "false"):
        yield "DEBUG must be off"
    if config["TESTING"]:
        yield "TESTING must be off"
    if not config["SESSION_COOKIE_SECURE"]:
        yield "SESSION_COOKIE_SECURE must be on (serve over HTTPS)"
    if not str(config["SESSION_COOKIE_NAME"]).startswith("__Host-"):
        yield "SESSION_COOKIE_NAME must keep the __Host- prefix"
    if str(config["RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        yield (
            "RATELIMIT_STORAGE_URI must point at shared storage such as "
            "redis://127.0.0.1:6379/0 (in-memory limits multiply with workers)"
        )
    base = urlsplit(str(config["BASE_URL"] or ""))
    if base.scheme != "https" or not base.hostname or base.path.strip("/") or base.query:
        yield (
            "BASE_URL must be set to this service's public https address, such as "
            "https://passage.example.org (PASSAGE_BASE_URL): links to set a password are "
            "built from it, and requests naming any other host are refused"
        )
    if not 1 <= int(config["PASSWORD_LINK_HOURS"]) <= 24:
        # A link to set a password is a credential in someone's mailbox: a day at most (R9).
        yield "PASSWORD_LINK_HOURS must be from 1 to 24"
    if (
        int(config["MAIL_MAX_ATTEMPTS"]) < 1
        or int(config["MAIL_RETRY_DELAY"]) < 1
        or int(config["MAIL_RETRY_DELAY_MAX"]) < int(config["MAIL_RETRY_DELAY"])
    ):
        yield (
            "MAIL_MAX_ATTEMPTS and MAIL_RETRY_DELAY must be at least 1, and "
            "MAIL_RETRY_DELAY_MAX at least MAIL_RETRY_DELAY"
        )
    for name, floor in ARGON2_MIN.items():
        if int(config[name]) < floor:
            yield f"{name} must be at least {floor}"
