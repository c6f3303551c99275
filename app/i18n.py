"""Every sentence Frontline says to a customer, in each supported language.

`say(key, lang, **values)` falls back to English for a missing translation and never
raises for a customer: a missing key is a programming error caught by the tests.
"""

from __future__ import annotations

from typing import Final

from app.action_phrases import ACTION_PHRASES
from app.flow_phrases import FLOW_PHRASES
from app.handoff_phrases import HANDOFF_PHRASES

_CATALOG: Final[dict[str, dict[str, str]]] = {
    "welcome": {
        "en": "Hi! I'm the {company} assistant. Ask me about your account, orders, billing or "
              "our products — or ask for a person at any time.",
        "es": "¡Hola! Soy el asistente de {company}. Pregúntame por tu cuenta, pedidos, "
              "facturación o productos, o pide hablar con una persona cuando quieras.",
        "de": "Hallo! Ich bin der Assistent von {company}. Fragen Sie mich zu Konto, "
              "Bestellungen, Rechnungen oder Produkten – oder verlangen Sie jederzeit einen Menschen.",
        "fr": "Bonjour ! Je suis l'assistant de {company}. Posez-moi vos questions sur votre "
              "compte, vos commandes, la facturation ou nos produits, ou demandez un conseiller.",
    },
    "input.empty": {
        "en": "It looks like that message was empty. What can I help you with?",
        "es": "Parece que el mensaje estaba vacío. ¿En qué puedo ayudarte?",
        "de": "Diese Nachricht war leer. Wobei kann ich helfen?",
        "fr": "Ce message semble vide. Comment puis-je vous aider ?",
    },
    "input.too_long": {
        "en": "That message is longer than I can read at once ({limit} characters). Could you "
              "send the key part, or split it into a few messages?",
        "es": "Ese mensaje es más largo de lo que puedo leer de una vez ({limit} caracteres). "
              "¿Puedes enviar lo esencial o dividirlo en varios mensajes?",
        "de": "Diese Nachricht ist länger, als ich auf einmal lesen kann ({limit} Zeichen). "
              "Bitte senden Sie das Wichtigste oder teilen Sie sie auf.",
        "fr": "Ce message est trop long pour moi ({limit} caractères). Pouvez-vous envoyer "
              "l'essentiel ou le découper en plusieurs messages ?",
    },
    "input.bad_encoding": {
        "en": "That message contains characters I can't read. Could you type it again?",
        "es": "El mensaje contiene caracteres que no puedo leer. ¿Puedes escribirlo de nuevo?",
        "de": "Die Nachricht enthält Zeichen, die ich nicht lesen kann. Bitte erneut eingeben.",
        "fr": "Ce message contient des caractères illisibles. Pouvez-vous le retaper ?",
    },
    "input.malformed": {
        "en": "That message didn't reach me in a form I can read, so nothing was saved. Please "
              "send it again; if this keeps happening, reload the page.",
        "es": "Ese mensaje no me llegó en un formato que pueda leer, así que no se ha guardado. "
              "Envíalo de nuevo; si vuelve a pasar, recarga la página.",
        "de": "Diese Nachricht kam nicht in einer lesbaren Form bei mir an und wurde nicht "
              "gespeichert. Bitte senden Sie sie erneut; passiert das wieder, laden Sie die Seite neu.",
        "fr": "Ce message ne m'est pas parvenu sous une forme lisible, il n'a donc pas été "
              "enregistré. Renvoyez-le ; si cela se reproduit, rechargez la page.",
    },
    "input.edit_refused": {
        "en": "Messages can't be edited in this chat, so your earlier message stays as it was. "
              "Please send the correction as a new message.",
        "es": "En este chat no se pueden editar los mensajes, así que el anterior se queda como "
              "estaba. Envía la corrección en un mensaje nuevo.",
        "de": "Nachrichten lassen sich in diesem Chat nicht bearbeiten; Ihre frühere Nachricht "
              "bleibt unverändert. Bitte senden Sie die Korrektur als neue Nachricht.",
        "fr": "Les messages ne peuvent pas être modifiés dans cette conversation ; le précédent "
              "reste tel quel. Envoyez la correction dans un nouveau message.",
    },
    "input.rate_limited": {
        "en": "You're sending messages faster than I can keep up with. Please wait a moment, "
              "then try again — nothing you've sent is lost.",
        "es": "Estás enviando mensajes más rápido de lo que puedo atender. Espera un momento; "
              "no se ha perdido nada.",
        "de": "Sie senden schneller, als ich antworten kann. Bitte warten Sie kurz – nichts "
              "geht verloren.",
        "fr": "Vous envoyez des messages plus vite que je ne peux suivre. Patientez un instant ; "
              "rien n'est perdu.",
    },
    "input.too_many_conversations": {
        "en": "You've started a lot of conversations in the last hour. Please continue in one you "
              "already have, or try again later; nothing you've sent is lost.",
        "es": "Has iniciado muchas conversaciones en la última hora. Continúa en una que ya tengas "
              "o vuelve a intentarlo más tarde; no se ha perdido nada.",
        "de": "Sie haben in der letzten Stunde viele Unterhaltungen begonnen. Bitte machen Sie in "
              "einer bestehenden weiter oder versuchen Sie es später erneut – nichts geht verloren.",
        "fr": "Vous avez commencé beaucoup de conversations depuis une heure. Continuez dans une "
              "conversation existante ou réessayez plus tard ; rien n'est perdu.",
    },
    "session.rate_limited": {
        "en": "Too many chats were opened from your network just now. Please try again in {minutes} "
              "minute(s).",
        "es": "Se han abierto demasiados chats desde tu red. Vuelve a intentarlo en {minutes} minuto(s).",
        "de": "Aus Ihrem Netzwerk wurden gerade zu viele Chats geöffnet. Bitte versuchen Sie es in "
              "{minutes} Minute(n) erneut.",
        "fr": "Trop de conversations ont été ouvertes depuis votre réseau. Réessayez dans {minutes} "
              "minute(s).",
    },
    "kb.intro": {
        "en": "Here's what our help center says:",
        "es": "Esto es lo que dice nuestro centro de ayuda (en inglés):",
        "de": "Das steht in unserem Hilfecenter (auf Englisch):",
        "fr": "Voici ce qu'indique notre centre d'aide (en anglais) :",
    },
    "kb.source": {"en": "Source", "es": "Fuente", "de": "Quelle", "fr": "Source"},
    "kb.related": {"en": "Related", "es": "Relacionado", "de": "Siehe auch", "fr": "À voir aussi"},
    "kb.no_answer": {
        "en": "I couldn't find that in our help center. Could you rephrase it or add a detail? "
              "You can also ask for a person.",
        "es": "No encontré eso en nuestro centro de ayuda. ¿Puedes reformularlo o dar más "
              "detalles? También puedes pedir hablar con una persona.",
        "de": "Dazu habe ich im Hilfecenter nichts gefunden. Können Sie es anders formulieren "
              "oder mehr Details nennen? Sie können auch einen Menschen verlangen.",
        "fr": "Je n'ai rien trouvé à ce sujet dans notre centre d'aide. Pouvez-vous reformuler "
              "ou préciser ? Vous pouvez aussi demander un conseiller.",
    },
    "handoff.queued": {
        "en": "I've asked a member of our support team to join. They'll see everything we've "
              "discussed, so you won't need to repeat yourself.",
        "es": "He pedido que se una alguien de nuestro equipo de soporte. Verá toda la "
              "conversación, así que no tendrás que repetir nada.",
        "de": "Ich habe ein Mitglied unseres Support-Teams hinzugebeten. Es sieht unser "
              "gesamtes Gespräch, Sie müssen nichts wiederholen.",
        "fr": "J'ai demandé à un membre de notre équipe de vous rejoindre. Il verra toute notre "
              "conversation, vous n'aurez rien à répéter.",
    },
    "handoff.after_misses": {
        "en": "I'm sorry I couldn't find the answer.",
        "es": "Siento no haber encontrado la respuesta.",
        "de": "Es tut mir leid, dass ich keine Antwort gefunden habe.",
        "fr": "Désolé, je n'ai pas trouvé la réponse.",
    },
    "handoff.agent_joined": {
        "en": "{agent} from the {company} team joined the chat.",
        "es": "{agent}, del equipo de {company}, se ha unido al chat.",
        "de": "{agent} vom {company}-Team ist dem Chat beigetreten.",
        "fr": "{agent}, de l'équipe {company}, a rejoint la conversation.",
    },
    "handoff.resolved": {
        "en": "{agent} marked this conversation as resolved. If you need anything else, just "
              "write here.",
        "es": "{agent} ha marcado esta conversación como resuelta. Si necesitas algo más, "
              "escribe aquí.",
        "de": "{agent} hat dieses Gespräch als gelöst markiert. Wenn Sie noch etwas brauchen, "
              "schreiben Sie einfach hier.",
        "fr": "{agent} a marqué cette conversation comme résolue. Pour toute autre question, "
              "écrivez ici.",
    },
    "handoff.handed_back": {
        "en": "{agent} has left the chat, and I'm back to help. Ask me anything.",
        "es": "{agent} ha salido del chat y vuelvo a estar aquí para ayudarte.",
        "de": "{agent} hat den Chat verlassen, ich bin wieder für Sie da.",
        "fr": "{agent} a quitté la conversation ; je suis de nouveau là pour vous aider.",
    },
    "account.sign_in_needed": {
        "en": "To look up your orders I need to know it's you. Please sign in to your account "
              "on our website, then ask me again here.",
        "es": "Para consultar tus pedidos necesito saber que eres tú. Inicia sesión en tu "
              "cuenta en nuestra web y vuelve a preguntarme aquí.",
        "de": "Um Ihre Bestellungen abzurufen, muss ich wissen, dass Sie es sind. Bitte melden "
              "Sie sich auf unserer Website an und fragen Sie dann erneut.",
        "fr": "Pour consulter vos commandes, je dois savoir que c'est bien vous. Connectez-vous "
              "à votre compte sur notre site, puis reposez-moi la question.",
    },
    "orders.none": {
        "en": "I don't see any orders on your account.",
        "es": "No veo ningún pedido en tu cuenta.",
        "de": "Ich sehe keine Bestellungen in Ihrem Konto.",
        "fr": "Je ne vois aucune commande sur votre compte.",
    },
    "orders.not_found": {
        "en": "I couldn't find an order {order} on your account. Could you check the number? "
              "It's in your confirmation email and looks like BW-12345.",
        "es": "No encuentro el pedido {order} en tu cuenta. ¿Puedes comprobar el número? "
              "Aparece en el correo de confirmación (p. ej. BW-12345).",
        "de": "Ich finde keine Bestellung {order} in Ihrem Konto. Bitte prüfen Sie die Nummer "
              "aus der Bestätigungs-E-Mail (z. B. BW-12345).",
        "fr": "Je ne trouve pas de commande {order} sur votre compte. Pouvez-vous vérifier le "
              "numéro indiqué dans l'e-mail de confirmation (ex. BW-12345) ?",
    },
    "orders.line": {
        "en": "Order **{order}** ({items}), placed {placed}: **{status}**.",
        "es": "Pedido **{order}** ({items}), realizado el {placed}: **{status}**.",
        "de": "Bestellung **{order}** ({items}) vom {placed}: **{status}**.",
        "fr": "Commande **{order}** ({items}) du {placed} : **{status}**.",
    },
    "orders.tracking": {
        "en": "Carrier {carrier}, tracking number {tracking}.",
        "es": "Transportista {carrier}, número de seguimiento {tracking}.",
        "de": "Versand mit {carrier}, Sendungsnummer {tracking}.",
        "fr": "Transporteur {carrier}, numéro de suivi {tracking}.",
    },
    "orders.eta": {
        "en": "Estimated delivery: {date}.",
        "es": "Entrega estimada: {date}.",
        "de": "Voraussichtliche Zustellung: {date}.",
        "fr": "Livraison estimée : {date}.",
    },
    "orders.delivered_on": {
        "en": "Delivered on {date}.",
        "es": "Entregado el {date}.",
        "de": "Zugestellt am {date}.",
        "fr": "Livrée le {date}.",
    },
    "orders.more": {
        "en": "You have {count} more orders; tell me an order number to see one of them.",
        "es": "Tienes {count} pedidos más; dime un número de pedido para ver otro.",
        "de": "Sie haben {count} weitere Bestellungen; nennen Sie eine Nummer für Details.",
        "fr": "Vous avez {count} autres commandes ; donnez-moi un numéro pour en voir une.",
    },
    "smalltalk.greeting": {
        "en": "Hello! How can I help you today?",
        "es": "¡Hola! ¿En qué puedo ayudarte hoy?",
        "de": "Hallo! Wie kann ich Ihnen heute helfen?",
        "fr": "Bonjour ! Comment puis-je vous aider aujourd'hui ?",
    },
    "smalltalk.thanks": {
        "en": "You're welcome! Is there anything else I can help with?",
        "es": "¡De nada! ¿Puedo ayudarte con algo más?",
        "de": "Gern geschehen! Kann ich sonst noch helfen?",
        "fr": "Avec plaisir ! Puis-je vous aider pour autre chose ?",
    },
    "smalltalk.goodbye": {
        "en": "Thanks for chatting with us. Have a great day!",
        "es": "Gracias por escribirnos. ¡Que tengas un buen día!",
        "de": "Danke für Ihre Nachricht. Einen schönen Tag noch!",
        "fr": "Merci de votre message. Bonne journée !",
    },
    "error.generic": {
        "en": "Sorry, something went wrong on our side. Your message is saved; please try again "
              "in a moment, or ask for a person.",
        "es": "Lo siento, algo ha fallado por nuestra parte. Tu mensaje está guardado; inténtalo "
              "de nuevo en un momento o pide hablar con una persona.",
        "de": "Entschuldigung, bei uns ist etwas schiefgegangen. Ihre Nachricht ist gespeichert; "
              "bitte versuchen Sie es gleich noch einmal oder verlangen Sie einen Menschen.",
        "fr": "Désolé, un problème est survenu de notre côté. Votre message est enregistré ; "
              "réessayez dans un instant ou demandez un conseiller.",
    },
    "error.unexpected": {
        "en": "Sorry, something went wrong on our side. Please try again in a moment, or ask "
              "for a person.",
        "es": "Lo siento, algo ha fallado por nuestra parte. Inténtalo de nuevo en un momento o "
              "pide hablar con una persona.",
        "de": "Entschuldigung, bei uns ist etwas schiefgegangen. Bitte versuchen Sie es gleich "
              "noch einmal oder verlangen Sie einen Menschen.",
        "fr": "Désolé, un problème est survenu de notre côté. Réessayez dans un instant ou "
              "demandez un conseiller.",
    },
    "agent.heading": {
        "en": "{agent} · {company} team",
        "es": "{agent} · equipo de {company}",
        "de": "{agent} · {company}-Team",
        "fr": "{agent} · équipe {company}",
    },
    "choice.answered": {
        "en": "That question has already been answered, so that button does nothing now. Just "
              "write what you need.",
        "es": "Esa pregunta ya está respondida, así que ese botón ya no hace nada. Escribe lo que "
              "necesites.",
        "de": "Diese Frage ist bereits beantwortet, der Knopf bewirkt nichts mehr. Schreiben Sie "
              "einfach, was Sie brauchen.",
        "fr": "Cette question a déjà reçu une réponse ; ce bouton n'a plus d'effet. Écrivez-nous "
              "simplement ce dont vous avez besoin.",
    },
    "error.orders_unavailable": {
        "en": "I can't reach our order system right now. Please try again in a few minutes, "
              "or ask for a person.",
        "es": "Ahora mismo no puedo acceder al sistema de pedidos. Inténtalo en unos minutos o "
              "pide hablar con una persona.",
        "de": "Das Bestellsystem ist gerade nicht erreichbar. Bitte versuchen Sie es in einigen "
              "Minuten erneut oder verlangen Sie einen Menschen.",
        "fr": "Je n'arrive pas à joindre le système de commandes. Réessayez dans quelques "
              "minutes ou demandez un conseiller.",
    },
}

STATUS_NAMES: Final[dict[str, dict[str, str]]] = {
    "processing": {"en": "being prepared", "es": "en preparación", "de": "in Bearbeitung", "fr": "en préparation"},
    "shipped": {"en": "shipped", "es": "enviado", "de": "versandt", "fr": "expédiée"},
    "in_transit": {"en": "in transit", "es": "en tránsito", "de": "unterwegs", "fr": "en transit"},
    "out_for_delivery": {"en": "out for delivery", "es": "en reparto", "de": "in Zustellung",
                         "fr": "en cours de livraison"},
    "delivered": {"en": "delivered", "es": "entregado", "de": "zugestellt", "fr": "livrée"},
    "delayed": {"en": "delayed", "es": "retrasado", "de": "verzögert", "fr": "retardée"},
    "cancelled": {"en": "cancelled", "es": "cancelado", "de": "storniert", "fr": "annulée"},
    "returned": {"en": "returned", "es": "devuelto", "de": "zurückgesandt", "fr": "retournée"},
}


_CATALOG.update(FLOW_PHRASES)
_CATALOG.update(ACTION_PHRASES)
_CATALOG.update(HANDOFF_PHRASES)


def say(key: str, lang: str | None, **values: object) -> str:
    entry = _CATALOG[key]
    template = entry.get(lang or "en") or entry["en"]
    return template.format(**values)


def status_name(status: str, lang: str | None) -> str:
    names = STATUS_NAMES.get(status)
    if names is None:
        return status.replace("_", " ")
    return names.get(lang or "en") or names["en"]


def keys() -> list[str]:
    return list(_CATALOG)
