"""What the customer is told around a handoff: why a person is coming, how long it takes,
what happens when nobody is available, and the satisfaction check after."""

from __future__ import annotations

from typing import Final

HANDOFF_PHRASES: Final[dict[str, dict[str, str]]] = {
    "handoff.why.incident": {
        "en": "We know about a problem affecting several customers right now, and our team is on it.",
        "es": "Sabemos que hay un problema que afecta a varios clientes en este momento y nuestro equipo ya "
              "está en ello.",
        "de": "Uns ist ein Problem bekannt, das gerade mehrere Kunden betrifft, und unser Team arbeitet daran.",
        "fr": "Nous savons qu'un problème touche plusieurs clients en ce moment, et notre équipe s'en occupe.",
    },
    "handoff.why.regulatory": {
        "en": "This needs our specialist team, so I've passed it on to them.",
        "es": "Esto lo tiene que ver nuestro equipo especializado, así que se lo he pasado.",
        "de": "Darum kümmert sich unser Fachteam; ich habe es an das Team weitergegeben.",
        "fr": "Cette demande relève de notre équipe spécialisée ; je la lui ai transmise.",
    },
    "handoff.why.high_value_urgent": {
        "en": "I'm bringing in a member of our team to take care of this for you personally.",
        "es": "Voy a pedir que alguien de nuestro equipo se ocupe de esto personalmente.",
        "de": "Ich bitte ein Mitglied unseres Teams, sich persönlich darum zu kümmern.",
        "fr": "Je fais appel à un membre de notre équipe pour s'en occuper personnellement.",
    },
    "handoff.why.frustration": {
        "en": "I'm sorry this has been so frustrating. I'm bringing in a person from our team.",
        "es": "Siento mucho que esto esté siendo tan frustrante. Voy a pedir que te atienda una persona.",
        "de": "Es tut mir leid, dass das so ärgerlich ist. Ich hole einen Menschen aus unserem Team dazu.",
        "fr": "Je suis désolé que ce soit si frustrant. Je fais appel à une personne de notre équipe.",
    },
    "handoff.why.technical_fault": {
        "en": "That sounds like a technical problem our help center doesn't cover, so I'm bringing in our "
              "technical team.",
        "es": "Parece un problema técnico que nuestro centro de ayuda no cubre, así que aviso a nuestro equipo "
              "técnico.",
        "de": "Das klingt nach einem technischen Problem, das unser Hilfecenter nicht abdeckt; ich hole unser "
              "Technik-Team dazu.",
        "fr": "Cela ressemble à un problème technique que notre centre d'aide ne couvre pas ; je fais appel à "
              "notre équipe technique.",
    },
    "handoff.wait": {
        "en": "You're number {position} in line; the expected wait is about {minutes} min.",
        "es": "Eres el número {position} en la cola; la espera estimada es de unos {minutes} min.",
        "de": "Sie sind Nummer {position} in der Warteschlange; die Wartezeit beträgt etwa {minutes} Min.",
        "fr": "Vous êtes numéro {position} dans la file ; l'attente estimée est d'environ {minutes} min.",
    },
    "handoff.closed": {
        "en": "Our team is offline right now; we're here {hours}.",
        "es": "Nuestro equipo no está disponible ahora; nuestro horario es {hours}.",
        "de": "Unser Team ist gerade nicht erreichbar; wir sind da: {hours}.",
        "fr": "Notre équipe n'est pas disponible pour le moment ; nous sommes là {hours}.",
    },
    "handoff.nobody_online": {
        "en": "Everyone on our team is busy or offline right now.",
        "es": "Ahora mismo todo nuestro equipo está ocupado o desconectado.",
        "de": "Gerade ist unser ganzes Team beschäftigt oder nicht erreichbar.",
        "fr": "Toute notre équipe est occupée ou absente pour le moment.",
    },
    "handoff.ticket_created": {
        "en": "I've opened ticket {ticket} with everything we've discussed, and the team will reply by email "
              "to {email}. If someone becomes available sooner, they'll answer here.",
        "es": "He abierto el ticket {ticket} con todo lo que hemos hablado y el equipo te responderá por correo "
              "a {email}. Si alguien queda libre antes, te contestará aquí.",
        "de": "Ich habe das Ticket {ticket} mit unserem gesamten Gespräch angelegt; das Team antwortet per "
              "E-Mail an {email}. Wird vorher jemand frei, antwortet er hier.",
        "fr": "J'ai ouvert le ticket {ticket} avec tout ce que nous avons échangé ; l'équipe vous répondra par "
              "e-mail à {email}. Si quelqu'un se libère avant, il vous répondra ici.",
    },
    "handoff.ask_email": {
        "en": "Leave your email address and I'll open a ticket so the team follows up by email. Or stay here: "
              "if someone becomes available, they'll answer in this chat.",
        "es": "Déjame tu correo electrónico y abriré un ticket para que el equipo te responda por correo. O "
              "quédate aquí: si alguien queda libre, te contestará en este chat.",
        "de": "Nennen Sie mir Ihre E-Mail-Adresse, dann lege ich ein Ticket an und das Team antwortet per "
              "E-Mail. Oder bleiben Sie hier: Wird jemand frei, antwortet er in diesem Chat.",
        "fr": "Laissez-moi votre adresse e-mail et j'ouvrirai un ticket pour que l'équipe vous réponde par "
              "e-mail. Ou restez ici : si quelqu'un se libère, il vous répondra dans cette conversation.",
    },
    "handoff.email_invalid": {
        "en": "That doesn't look like an email address. Please write it like name@example.com.",
        "es": "Eso no parece un correo electrónico. Escríbelo así: nombre@ejemplo.com.",
        "de": "Das sieht nicht nach einer E-Mail-Adresse aus. Bitte schreiben Sie sie so: name@beispiel.de.",
        "fr": "Cela ne ressemble pas à une adresse e-mail. Écrivez-la ainsi : nom@exemple.fr.",
    },
    "handoff.ticket_failed": {
        "en": "I couldn't open a ticket just now. Your request stays in our queue, and someone will answer "
              "here as soon as they can.",
        "es": "No he podido abrir un ticket ahora mismo. Tu solicitud sigue en la cola y alguien te responderá "
              "aquí en cuanto pueda.",
        "de": "Ich konnte gerade kein Ticket anlegen. Ihre Anfrage bleibt in der Warteschlange, und jemand "
              "antwortet hier, sobald es geht.",
        "fr": "Je n'ai pas pu ouvrir de ticket pour le moment. Votre demande reste dans notre file, et "
              "quelqu'un vous répondra ici dès que possible.",
    },
    "handoff.still_waiting": {
        "en": "Thanks, I've added that for the team. You're number {position} in line.",
        "es": "Gracias, se lo he añadido al equipo. Eres el número {position} en la cola.",
        "de": "Danke, ich habe das für das Team ergänzt. Sie sind Nummer {position} in der Warteschlange.",
        "fr": "Merci, je l'ai ajouté pour l'équipe. Vous êtes numéro {position} dans la file.",
    },
    "handoff.back_with_note": {
        "en": "{agent} has left the chat, and I'm back to help. {agent} noted: “{note}”",
        "es": "{agent} ha salido del chat y vuelvo a estar aquí para ayudarte. {agent} anotó: «{note}»",
        "de": "{agent} hat den Chat verlassen, ich bin wieder für Sie da. {agent} hat notiert: „{note}“",
        "fr": "{agent} a quitté la conversation ; je suis de nouveau là. {agent} a noté : « {note} »",
    },
    "csat.ask": {
        "en": "How did we do? Please rate this conversation from 1 (poor) to 5 (excellent).",
        "es": "¿Qué tal lo hemos hecho? Valora esta conversación del 1 (mal) al 5 (excelente).",
        "de": "Wie zufrieden waren Sie? Bitte bewerten Sie das Gespräch von 1 (schlecht) bis 5 (sehr gut).",
        "fr": "Comment s'est passé cet échange ? Notez-le de 1 (mauvais) à 5 (excellent).",
    },
    "csat.thanks": {
        "en": "Thank you for your rating!",
        "es": "¡Gracias por tu valoración!",
        "de": "Vielen Dank für Ihre Bewertung!",
        "fr": "Merci pour votre note !",
    },
}
