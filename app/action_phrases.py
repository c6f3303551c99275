"""What the customer is told about guarded actions: held for approval, the team's answer,
refused by the tenant's policy (merged into app/i18n's catalog)."""

from __future__ import annotations

from typing import Final

ACTION_PHRASES: Final[dict[str, dict[str, str]]] = {
    # short names of what was asked, used inside the sentences below
    "what.request_refund": {
        "en": "a refund of {amount} for {target}", "es": "un reembolso de {amount} por {target}",
        "de": "eine Erstattung von {amount} für {target}", "fr": "un remboursement de {amount} pour {target}",
    },
    "what.cancel_order": {
        "en": "cancelling order {order}", "es": "la cancelación del pedido {order}",
        "de": "die Stornierung der Bestellung {order}", "fr": "l'annulation de la commande {order}",
    },
    "what.cancel_subscription": {
        "en": "cancelling your {plan} plan", "es": "la cancelación de tu plan {plan}",
        "de": "die Kündigung Ihres {plan}-Tarifs", "fr": "la résiliation de votre forfait {plan}",
    },
    "what.change_shipping_address": {
        "en": "the new address for order {order}", "es": "la nueva dirección del pedido {order}",
        "de": "die neue Lieferadresse für Bestellung {order}", "fr": "la nouvelle adresse de la commande {order}",
    },
    "what.send_invoice_copy": {
        "en": "a copy of invoice {invoice}", "es": "una copia de la factura {invoice}",
        "de": "eine Kopie der Rechnung {invoice}", "fr": "une copie de la facture {invoice}",
    },
    "what.send_password_reset": {
        "en": "a password reset link", "es": "un enlace para restablecer la contraseña",
        "de": "einen Link zum Zurücksetzen des Passworts", "fr": "un lien de réinitialisation du mot de passe",
    },
    # held for an agent's approval, and the team's answer in the same chat
    "approval.waiting": {
        "en": "I can't approve {what} on my own: it is above what I'm allowed to do in chat. I've passed it to "
              "our team for review, and you'll get their answer right here in this chat. Nothing has been "
              "changed yet.",
        "es": "No puedo aprobar {what} por mi cuenta: supera lo que puedo hacer en el chat. Lo he pasado a "
              "nuestro equipo para que lo revise y recibirás su respuesta aquí mismo. Todavía no se ha "
              "cambiado nada.",
        "de": "Ich kann {what} nicht selbst freigeben: Das geht über das hinaus, was ich im Chat tun darf. Ich "
              "habe es unserem Team zur Prüfung gegeben; die Antwort erhalten Sie hier im Chat. Bisher wurde "
              "nichts geändert.",
        "fr": "Je ne peux pas approuver {what} moi-même : cela dépasse ce que je peux faire dans le chat. Je "
              "l'ai transmis à notre équipe, et vous aurez sa réponse ici même. Rien n'a encore été modifié.",
    },
    "approval.approved_done": {
        "en": "Good news: our team approved {what}, and it's done (reference {reference}).",
        "es": "Buenas noticias: nuestro equipo aprobó {what} y ya está hecho (referencia {reference}).",
        "de": "Gute Nachricht: Unser Team hat {what} freigegeben, und es ist erledigt (Referenz {reference}).",
        "fr": "Bonne nouvelle : notre équipe a approuvé {what}, et c'est fait (référence {reference}).",
    },
    "approval.approved_submitted": {
        "en": "Good news: our team approved {what}, and it has been filed (reference {reference}). You'll "
              "get an email when it's paid out.",
        "es": "Buenas noticias: nuestro equipo aprobó {what} y ya está registrado (referencia {reference}). "
              "Recibirás un correo cuando se haga el pago.",
        "de": "Gute Nachricht: Unser Team hat {what} freigegeben, der Antrag ist eingereicht (Referenz "
              "{reference}). Sie erhalten eine E-Mail, sobald ausgezahlt wird.",
        "fr": "Bonne nouvelle : notre équipe a approuvé {what}, la demande est enregistrée (référence "
              "{reference}). Vous recevrez un e-mail lors du versement.",
    },
    "approval.approved_refused": {
        "en": "Our team approved {what}, but our system refused it when we tried to carry it out, so nothing "
              "was changed. Ask for a person here if you'd like someone to look into it.",
        "es": "Nuestro equipo aprobó {what}, pero nuestro sistema lo rechazó al intentar aplicarlo, así que no "
              "se cambió nada. Pide hablar con una persona si quieres que alguien lo revise.",
        "de": "Unser Team hat {what} freigegeben, aber unser System hat es bei der Ausführung abgelehnt; es "
              "wurde nichts geändert. Verlangen Sie gern einen Menschen, wenn jemand nachsehen soll.",
        "fr": "Notre équipe a approuvé {what}, mais notre système l'a refusé au moment de l'appliquer : rien "
              "n'a été modifié. Demandez un conseiller si vous souhaitez qu'on s'en occupe.",
    },
    "approval.rejected": {
        "en": "Our team reviewed {what} and couldn't approve it, so nothing was changed.",
        "es": "Nuestro equipo revisó {what} y no pudo aprobarlo, así que no se cambió nada.",
        "de": "Unser Team hat {what} geprüft und konnte es nicht freigeben; es wurde nichts geändert.",
        "fr": "Notre équipe a examiné {what} et n'a pas pu l'approuver : rien n'a été modifié.",
    },
    "approval.note": {
        "en": "Their note: “{note}”", "es": "Su nota: «{note}»", "de": "Ihre Anmerkung: „{note}“",
        "fr": "Leur remarque : « {note} »",
    },
    # refused by the tenant's policy
    "action.beyond_limits": {
        "en": "I'm sorry, I can't do {what} in chat: it goes beyond what our policy allows here. Nothing was "
              "changed. Ask for a person if you'd like someone to look at it.",
        "es": "Lo siento, no puedo hacer {what} por chat: supera lo que nuestra política permite aquí. No se "
              "cambió nada. Pide hablar con una persona si quieres que alguien lo revise.",
        "de": "Das tut mir leid, {what} ist im Chat nicht möglich: Es geht über unsere Richtlinie hinaus. Es "
              "wurde nichts geändert. Verlangen Sie gern einen Menschen, wenn jemand nachsehen soll.",
        "fr": "Désolé, je ne peux pas faire {what} par chat : cela dépasse ce que notre politique permet ici. "
              "Rien n'a été modifié. Demandez un conseiller si vous voulez qu'on s'en occupe.",
    },
    "action.not_enabled": {
        "en": "That isn't something I can do in this chat, so nothing was changed. Ask for a person if you'd "
              "like help with it.",
        "es": "Eso no lo puedo hacer en este chat, así que no se cambió nada. Pide hablar con una persona si "
              "necesitas ayuda con ello.",
        "de": "Das kann ich in diesem Chat nicht erledigen; es wurde nichts geändert. Verlangen Sie gern einen "
              "Menschen, wenn Sie Hilfe dabei brauchen.",
        "fr": "Ce n'est pas quelque chose que je peux faire dans ce chat : rien n'a été modifié. Demandez un "
              "conseiller si vous avez besoin d'aide.",
    },
    "action.in_progress": {
        "en": "That request is already being handled, so I won't send it twice.",
        "es": "Esa solicitud ya se está tramitando, así que no la enviaré dos veces.",
        "de": "Diese Anfrage wird bereits bearbeitet; ich sende sie nicht doppelt.",
        "fr": "Cette demande est déjà en cours de traitement : je ne l'enverrai pas deux fois.",
    },
    # after a restart: a write the crash cut off, resolved with the company's system
    "action.recovered.done": {
        "en": "Sorry for the wait: I was interrupted while handling what you confirmed. I've checked, and it "
              "has gone through.{reference}",
        "es": "Perdona la espera: me interrumpieron mientras tramitaba lo que confirmaste. Lo he comprobado y "
              "ya está hecho.{reference}",
        "de": "Entschuldigen Sie die Wartezeit: Ich wurde unterbrochen, während ich Ihre Bestätigung bearbeitet "
              "habe. Ich habe nachgesehen, es ist erledigt.{reference}",
        "fr": "Désolé pour l'attente : j'ai été interrompu pendant que je traitais ce que vous avez confirmé. "
              "J'ai vérifié, c'est fait.{reference}",
    },
    "action.recovered.reference": {
        "en": " Reference: {reference}.",
        "es": " Referencia: {reference}.",
        "de": " Referenz: {reference}.",
        "fr": " Référence : {reference}.",
    },
    "action.recovered.rejected": {
        "en": "Sorry for the wait: I was interrupted while handling what you confirmed. I've checked: our "
              "system could not do it, so nothing was changed. Ask me again, or ask for a person.",
        "es": "Perdona la espera: me interrumpieron mientras tramitaba lo que confirmaste. Lo he comprobado: "
              "nuestro sistema no pudo hacerlo, así que no se ha cambiado nada. Pídemelo de nuevo o pide "
              "hablar con una persona.",
        "de": "Entschuldigen Sie die Wartezeit: Ich wurde unterbrochen, während ich Ihre Bestätigung bearbeitet "
              "habe. Unser System konnte es nicht ausführen, es wurde nichts geändert. Fragen Sie mich gern "
              "noch einmal oder verlangen Sie einen Menschen.",
        "fr": "Désolé pour l'attente : j'ai été interrompu pendant que je traitais ce que vous avez confirmé. "
              "Notre système n'a pas pu le faire, rien n'a été modifié. Redemandez-moi, ou demandez un "
              "conseiller.",
    },
    "action.recovered.failed": {
        "en": "Sorry: I was interrupted while handling what you confirmed, and our system is not answering "
              "right now, so nothing was done. Please ask me again in a little while, or ask for a person.",
        "es": "Lo siento: me interrumpieron mientras tramitaba lo que confirmaste y nuestro sistema no responde "
              "ahora mismo, así que no se ha hecho nada. Pídemelo de nuevo en un rato o pide hablar con una "
              "persona.",
        "de": "Entschuldigung: Ich wurde unterbrochen, während ich Ihre Bestätigung bearbeitet habe, und unser "
              "System antwortet gerade nicht; es wurde nichts ausgeführt. Fragen Sie bitte später noch einmal "
              "oder verlangen Sie einen Menschen.",
        "fr": "Désolé : j'ai été interrompu pendant que je traitais ce que vous avez confirmé, et notre système "
              "ne répond pas pour le moment ; rien n'a été fait. Redemandez-moi dans un moment, ou demandez un "
              "conseiller.",
    },
    # after a restart: a message whose turn was cut off and could not be answered again
    "turn.interrupted": {
        "en": "Sorry, I was interrupted before I could answer your last message. Could you send it again?",
        "es": "Perdona, me interrumpieron antes de poder responder a tu último mensaje. ¿Puedes enviarlo de "
              "nuevo?",
        "de": "Entschuldigung, ich wurde unterbrochen, bevor ich Ihre letzte Nachricht beantworten konnte. "
              "Können Sie sie noch einmal senden?",
        "fr": "Désolé, j'ai été interrompu avant de pouvoir répondre à votre dernier message. Pouvez-vous le "
              "renvoyer ?",
    },
    # a customer message that tries to instruct the assistant
    "input.injection": {
        "en": "I can only help with questions about our products and your account, and I can't change how I "
              "work. What can I help you with?",
        "es": "Solo puedo ayudarte con preguntas sobre nuestros productos y tu cuenta, y no puedo cambiar mi "
              "forma de trabajar. ¿En qué te ayudo?",
        "de": "Ich helfe nur bei Fragen zu unseren Produkten und Ihrem Konto und kann meine Arbeitsweise nicht "
              "ändern. Wobei kann ich helfen?",
        "fr": "Je peux seulement vous aider sur nos produits et votre compte, et je ne peux pas changer ma "
              "façon de fonctionner. Que puis-je faire pour vous ?",
    },
}
