"""The default red-flag protocols (docs/screening.md §7): what a screener does when a red flag
is raised, kind by kind, with a title, the steps and who to call, in every interview language.

Generic on purpose: every deployment replaces the contacts with its own emergency number, duty
lines and partners in ``instance/config.py`` (the whole ``RED_FLAG_PROTOCOLS`` mapping;
``screening.protocols`` checks it at start-up and names anything missing). ``core.settings``
makes this the setting's default.
"""

from __future__ import annotations

from typing import Any

# Steps are read by the screener, in the interview language.
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
