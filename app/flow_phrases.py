"""What the task flows say, in every supported language (merged into app/i18n's catalog).

Terms quoted here (refund windows, timings, where settings live) are the ones the demo
tenant's help center publishes and its systems enforce; per-tenant terms come with the
action policy.
"""

from __future__ import annotations

from typing import Final

FLOW_PHRASES: Final[dict[str, dict[str, str]]] = {
    # the mechanics of asking and confirming
    "flow.yes": {"en": "Yes, go ahead", "es": "Sí, adelante", "de": "Ja, bitte", "fr": "Oui, allez-y"},
    "flow.no": {"en": "No", "es": "No", "de": "Nein", "fr": "Non"},
    "flow.confirm": {
        "en": "Shall I go ahead? (yes / no)",
        "es": "¿Lo hago? (sí / no)",
        "de": "Soll ich das erledigen? (ja / nein)",
        "fr": "Je m'en occupe ? (oui / non)",
    },
    "flow.yes_or_no": {
        "en": "Sorry, I need a clear yes or no before I change anything.",
        "es": "Perdona, necesito un sí o un no claro antes de cambiar nada.",
        "de": "Entschuldigung, bevor ich etwas ändere, brauche ich ein klares Ja oder Nein.",
        "fr": "Désolé, il me faut un oui ou un non clair avant de modifier quoi que ce soit.",
    },
    "flow.declined": {
        "en": "OK, I haven't changed anything. Is there something else I can help with?",
        "es": "De acuerdo, no he cambiado nada. ¿Te ayudo con otra cosa?",
        "de": "In Ordnung, ich habe nichts geändert. Kann ich sonst noch helfen?",
        "fr": "D'accord, je n'ai rien modifié. Puis-je vous aider pour autre chose ?",
    },
    "flow.stopped": {
        "en": "No problem, I've stopped there and nothing was changed.",
        "es": "Sin problema, lo dejo aquí y no se ha cambiado nada.",
        "de": "Kein Problem, ich habe abgebrochen und nichts geändert.",
        "fr": "Pas de souci, je m'arrête là et rien n'a été modifié.",
    },
    "flow.not_understood": {
        "en": "Sorry, I didn't catch that.",
        "es": "Perdona, no lo he entendido.",
        "de": "Entschuldigung, das habe ich nicht verstanden.",
        "fr": "Désolé, je n'ai pas compris.",
    },
    "flow.gave_up": {
        "en": "I'll leave that for now; nothing was changed. Tell me what you need, or ask for a person.",
        "es": "Lo dejo por ahora; no se ha cambiado nada. Dime qué necesitas o pide hablar con una persona.",
        "de": "Ich lasse das vorerst; nichts wurde geändert. Sagen Sie mir, was Sie brauchen, oder verlangen "
              "Sie einen Menschen.",
        "fr": "Je laisse cela de côté ; rien n'a été modifié. Dites-moi ce dont vous avez besoin ou demandez "
              "un conseiller.",
    },
    "flow.unavailable": {
        "en": "I can't reach our account systems right now, so I can't do that yet. Please try again in a few "
              "minutes, or ask for a person.",
        "es": "Ahora mismo no puedo acceder a nuestros sistemas, así que todavía no puedo hacerlo. Inténtalo en "
              "unos minutos o pide hablar con una persona.",
        "de": "Ich erreiche unsere Kontosysteme gerade nicht und kann das deshalb noch nicht erledigen. Bitte "
              "versuchen Sie es in ein paar Minuten erneut oder verlangen Sie einen Menschen.",
        "fr": "Je n'arrive pas à joindre nos systèmes pour le moment. Réessayez dans quelques minutes ou "
              "demandez un conseiller.",
    },
    "flow.failed": {
        "en": "Something went wrong on our side and I couldn't confirm that it worked. Please don't worry: "
              "if you ask again, it will only be done once. You can also ask for a person.",
        "es": "Algo ha fallado por nuestra parte y no he podido confirmar que se hiciera. No te preocupes: si "
              "lo vuelves a pedir, solo se hará una vez. También puedes pedir hablar con una persona.",
        "de": "Bei uns ist etwas schiefgegangen, und ich konnte nicht bestätigen, dass es geklappt hat. Keine "
              "Sorge: Wenn Sie es erneut anfragen, wird es nur einmal ausgeführt. Sie können auch einen "
              "Menschen verlangen.",
        "fr": "Un problème est survenu de notre côté et je n'ai pas pu confirmer l'opération. Pas d'inquiétude : "
              "si vous redemandez, elle ne sera faite qu'une fois. Vous pouvez aussi demander un conseiller.",
    },
    "flow.rejected": {
        "en": "Our system didn't accept that change. It may have changed status in the meantime. Nothing was "
              "changed; a person can look into it if you ask.",
        "es": "Nuestro sistema no ha aceptado el cambio; quizá su estado haya cambiado mientras tanto. No se ha "
              "cambiado nada; una persona puede revisarlo si lo pides.",
        "de": "Unser System hat die Änderung nicht angenommen; vielleicht hat sich der Status inzwischen "
              "geändert. Es wurde nichts geändert; ein Mensch kann sich das ansehen, wenn Sie möchten.",
        "fr": "Notre système n'a pas accepté la modification ; le statut a peut-être changé entre-temps. Rien "
              "n'a été modifié ; un conseiller peut vérifier si vous le souhaitez.",
    },
    # clarifying which task
    "clarify.which": {
        "en": "I want to be sure I help with the right thing. Which of these do you need?",
        "es": "Quiero asegurarme de ayudarte con lo correcto. ¿Cuál de estas opciones necesitas?",
        "de": "Ich möchte sicher sein, dass ich richtig helfe. Worum geht es Ihnen?",
        "fr": "Je veux être sûr de bien vous aider. De quoi avez-vous besoin ?",
    },
    "clarify.other": {
        "en": "Sure, tell me a bit more about what you need.",
        "es": "Claro, cuéntame un poco más sobre lo que necesitas.",
        "de": "Gern, erzählen Sie mir etwas mehr darüber, was Sie brauchen.",
        "fr": "Bien sûr, dites-m'en un peu plus sur ce dont vous avez besoin.",
    },
    "task.order_status": {"en": "Check where an order is", "es": "Ver dónde está un pedido",
                          "de": "Sehen, wo eine Bestellung ist", "fr": "Suivre une commande"},
    "task.invoice_copy": {"en": "Get a copy of an invoice", "es": "Recibir una copia de una factura",
                          "de": "Eine Rechnungskopie erhalten", "fr": "Recevoir une copie de facture"},
    "task.password_reset": {"en": "Reset my password", "es": "Restablecer mi contraseña",
                            "de": "Mein Passwort zurücksetzen", "fr": "Réinitialiser mon mot de passe"},
    "task.refund_request": {"en": "Request a refund", "es": "Solicitar un reembolso",
                            "de": "Eine Erstattung beantragen", "fr": "Demander un remboursement"},
    "task.cancellation": {"en": "Cancel an order or my subscription", "es": "Cancelar un pedido o mi suscripción",
                          "de": "Eine Bestellung oder mein Abo kündigen",
                          "fr": "Annuler une commande ou mon abonnement"},
    "task.address_change": {"en": "Change a delivery address", "es": "Cambiar una dirección de entrega",
                            "de": "Eine Lieferadresse ändern", "fr": "Modifier une adresse de livraison"},
    "task.other": {"en": "Something else", "es": "Otra cosa", "de": "Etwas anderes", "fr": "Autre chose"},
    # cancellation
    "cancel.which": {
        "en": "What would you like to cancel?",
        "es": "¿Qué quieres cancelar?",
        "de": "Was möchten Sie stornieren bzw. kündigen?",
        "fr": "Que souhaitez-vous annuler ?",
    },
    "cancel.subscription_label": {"en": "Your {plan} subscription", "es": "Tu suscripción {plan}",
                                  "de": "Ihr {plan}-Abo", "fr": "Votre abonnement {plan}"},
    "cancel.nothing": {
        "en": "I don't see an order that can still be cancelled or an active subscription on your account. "
              "Orders that have shipped can be returned within 30 days of delivery instead.",
        "es": "No veo ningún pedido que aún se pueda cancelar ni una suscripción activa en tu cuenta. Los "
              "pedidos ya enviados se pueden devolver en los 30 días siguientes a la entrega.",
        "de": "Ich sehe in Ihrem Konto keine Bestellung, die sich noch stornieren lässt, und kein aktives Abo. "
              "Versandte Bestellungen können Sie stattdessen innerhalb von 30 Tagen nach Zustellung zurücksenden.",
        "fr": "Je ne vois aucune commande encore annulable ni d'abonnement actif sur votre compte. Les commandes "
              "expédiées peuvent être retournées dans les 30 jours suivant la livraison.",
    },
    "cancel.order_shipped": {
        "en": "Order {order} is already {status}, so it can't be cancelled any more. You can refuse the "
              "delivery, or return it for free within 30 days of delivery.",
        "es": "El pedido {order} ya está {status}, así que ya no se puede cancelar. Puedes rechazar la entrega "
              "o devolverlo gratis en los 30 días siguientes a la entrega.",
        "de": "Die Bestellung {order} ist bereits {status} und kann nicht mehr storniert werden. Sie können die "
              "Annahme verweigern oder sie innerhalb von 30 Tagen nach Zustellung kostenlos zurücksenden.",
        "fr": "La commande {order} est déjà {status} et ne peut plus être annulée. Vous pouvez refuser la "
              "livraison ou la retourner gratuitement dans les 30 jours suivant la livraison.",
    },
    "cancel.confirm_order": {
        "en": "I'll cancel order {order} ({items}). The whole order is cancelled and {total} is refunded in "
              "full to your original payment method.",
        "es": "Voy a cancelar el pedido {order} ({items}). Se cancela el pedido completo y se reembolsan {total} "
              "íntegramente a tu método de pago original.",
        "de": "Ich storniere die Bestellung {order} ({items}). Die ganze Bestellung wird storniert und {total} "
              "werden vollständig auf Ihre ursprüngliche Zahlungsart erstattet.",
        "fr": "Je vais annuler la commande {order} ({items}). Toute la commande est annulée et {total} sont "
              "remboursés intégralement sur votre moyen de paiement d'origine.",
    },
    "cancel.done_order": {
        "en": "Done: order {order} is cancelled. The refund usually shows on your statement within 5–10 "
              "business days, and a confirmation email is on its way.",
        "es": "Hecho: el pedido {order} está cancelado. El reembolso suele aparecer en tu extracto en 5–10 días "
              "hábiles y te hemos enviado un correo de confirmación.",
        "de": "Erledigt: Die Bestellung {order} ist storniert. Die Erstattung erscheint meist innerhalb von "
              "5–10 Werktagen auf Ihrem Konto; eine Bestätigung per E-Mail ist unterwegs.",
        "fr": "C'est fait : la commande {order} est annulée. Le remboursement apparaît généralement sous 5 à 10 "
              "jours ouvrés, et un e-mail de confirmation est en route.",
    },
    "cancel.no_subscription": {
        "en": "I don't see an active subscription on your account, so there's nothing to cancel.",
        "es": "No veo ninguna suscripción activa en tu cuenta, así que no hay nada que cancelar.",
        "de": "Ich sehe kein aktives Abo in Ihrem Konto, es gibt also nichts zu kündigen.",
        "fr": "Je ne vois aucun abonnement actif sur votre compte, il n'y a donc rien à annuler.",
    },
    "cancel.already_cancelled": {
        "en": "Your {plan} subscription is already cancelled: it stays active until {until} and won't renew.",
        "es": "Tu suscripción {plan} ya está cancelada: sigue activa hasta el {until} y no se renovará.",
        "de": "Ihr {plan}-Abo ist bereits gekündigt: Es bleibt bis {until} aktiv und verlängert sich nicht.",
        "fr": "Votre abonnement {plan} est déjà annulé : il reste actif jusqu'au {until} et ne sera pas "
              "renouvelé.",
    },
    "cancel.contract": {
        "en": "{plan} contracts are cancelled by written notice at least 30 days before the renewal date "
              "({renews}), to your account manager or our support email address. I can connect you with a "
              "person if you'd like help with that.",
        "es": "Los contratos {plan} se cancelan con un aviso por escrito al menos 30 días antes de la renovación "
              "({renews}), a tu gestor de cuenta o al correo de soporte. Si quieres, te paso con una "
              "persona.",
        "de": "{plan}-Verträge werden schriftlich mindestens 30 Tage vor der Verlängerung ({renews}) gekündigt, "
              "bei Ihrem Account-Manager oder per E-Mail an den Support. Auf Wunsch verbinde ich Sie mit "
              "einem Menschen.",
        "fr": "Les contrats {plan} se résilient par écrit au moins 30 jours avant le renouvellement ({renews}), "
              "auprès de votre chargé de compte ou du support par e-mail. Je peux vous mettre en "
              "relation avec un conseiller.",
    },
    "cancel.confirm_subscription": {
        "en": "I'll cancel your {plan} subscription. You keep {plan} until {until}, then your account moves to "
              "the Free plan and you won't be charged again. The current period isn't refunded.",
        "es": "Voy a cancelar tu suscripción {plan}. Mantienes {plan} hasta el {until}; después tu cuenta pasa "
              "al plan Free y no se te cobrará más. El periodo actual no se reembolsa.",
        "de": "Ich kündige Ihr {plan}-Abo. Sie behalten {plan} bis {until}, danach wechselt Ihr Konto in den "
              "Free-Tarif und es wird nichts mehr abgebucht. Der laufende Zeitraum wird nicht erstattet.",
        "fr": "Je vais annuler votre abonnement {plan}. Vous gardez {plan} jusqu'au {until}, puis votre compte "
              "passe au plan Free sans autre prélèvement. La période en cours n'est pas remboursée.",
    },
    "cancel.done_subscription": {
        "en": "Done: your {plan} subscription is cancelled and stays active until {until}. You can resume it "
              "before then under Settings > Subscription.",
        "es": "Hecho: tu suscripción {plan} está cancelada y sigue activa hasta el {until}. Puedes reanudarla "
              "antes en Ajustes > Suscripción.",
        "de": "Erledigt: Ihr {plan}-Abo ist gekündigt und bleibt bis {until} aktiv. Bis dahin können Sie es "
              "unter Einstellungen > Abo fortsetzen.",
        "fr": "C'est fait : votre abonnement {plan} est annulé et reste actif jusqu'au {until}. Vous pouvez le "
              "reprendre d'ici là dans Paramètres > Abonnement.",
    },
    # address change
    "address.which": {
        "en": "Which order should go to a new address?",
        "es": "¿Qué pedido debe ir a una nueva dirección?",
        "de": "Welche Bestellung soll an eine neue Adresse gehen?",
        "fr": "Quelle commande doit partir à une nouvelle adresse ?",
    },
    "address.nothing": {
        "en": "None of your orders can have its address changed: that's only possible before an order ships. "
              "For a shipped order, the carrier can often redirect it from the link in your tracking email.",
        "es": "Ninguno de tus pedidos admite cambio de dirección: solo es posible antes del envío. Si ya se ha "
              "enviado, la empresa de transporte suele poder desviarlo desde el enlace del correo de seguimiento.",
        "de": "Bei keiner Ihrer Bestellungen lässt sich die Adresse noch ändern; das geht nur vor dem Versand. "
              "Versandte Pakete kann der Zusteller oft über den Link in der Sendungsverfolgung umleiten.",
        "fr": "Aucune de vos commandes ne peut changer d'adresse : ce n'est possible qu'avant l'expédition. Pour "
              "un colis expédié, le transporteur peut souvent le rediriger via le lien de suivi.",
    },
    "address.shipped": {
        "en": "Order {order} is already {status}, so we can no longer change its address. The carrier can often "
              "redirect it: use the link in your tracking email.",
        "es": "El pedido {order} ya está {status}, así que ya no podemos cambiar la dirección. La empresa de "
              "transporte suele poder desviarlo desde el enlace del correo de seguimiento.",
        "de": "Die Bestellung {order} ist bereits {status}; die Adresse können wir nicht mehr ändern. Der "
              "Zusteller kann sie oft umleiten: Nutzen Sie den Link in Ihrer Versandbestätigung.",
        "fr": "La commande {order} est déjà {status} : nous ne pouvons plus changer l'adresse. Le transporteur "
              "peut souvent la rediriger via le lien de suivi.",
    },
    "address.ask": {
        "en": "Order {order} is going to: {current}. What's the new address? Please include the street and "
              "number, postcode and city. It has to be in {country}, and we can't deliver to P.O. boxes.",
        "es": "El pedido {order} va a: {current}. ¿Cuál es la nueva dirección? Incluye calle y número, código "
              "postal y ciudad. Debe estar en {country} y no entregamos en apartados de correos.",
        "de": "Die Bestellung {order} geht an: {current}. Wie lautet die neue Adresse? Bitte mit Straße und "
              "Hausnummer, Postleitzahl und Ort. Sie muss in {country} liegen; an Postfächer liefern wir nicht.",
        "fr": "La commande {order} part à : {current}. Quelle est la nouvelle adresse ? Indiquez la rue et le "
              "numéro, le code postal et la ville. Elle doit être en {country} ; pas de boîte postale.",
    },
    "address.other_country": {
        "en": "The new address has to be in {country}: shipping prices, duties and taxes depend on it. To send "
              "the order to another country, cancel it while it's still being prepared and place a new one. "
              "What's the new address in {country}?",
        "es": "La nueva dirección debe estar en {country}: los gastos de envío, aranceles e impuestos dependen de "
              "ello. Para enviarlo a otro país, cancela el pedido mientras se prepara y haz uno nuevo. ¿Cuál es "
              "la nueva dirección en {country}?",
        "de": "Die neue Adresse muss in {country} liegen, da Versandkosten, Zölle und Steuern davon abhängen. Für "
              "ein anderes Land stornieren Sie die Bestellung, solange sie in Bearbeitung ist, und bestellen neu. "
              "Wie lautet die neue Adresse in {country}?",
        "fr": "La nouvelle adresse doit être en {country} : frais de port, droits et taxes en dépendent. Pour un "
              "autre pays, annulez la commande tant qu'elle est en préparation et passez-en une nouvelle. Quelle "
              "est la nouvelle adresse en {country} ?",
    },
    "address.confirm": {
        "en": "I'll change the delivery address of order {order}\nfrom: {current}\nto: {new}",
        "es": "Voy a cambiar la dirección de entrega del pedido {order}\nde: {current}\na: {new}",
        "de": "Ich ändere die Lieferadresse der Bestellung {order}\nvon: {current}\nauf: {new}",
        "fr": "Je vais modifier l'adresse de livraison de la commande {order}\nde : {current}\nà : {new}",
    },
    "address.done": {
        "en": "Done: order {order} will go to {new}. A confirmation email is on its way.",
        "es": "Hecho: el pedido {order} irá a {new}. Te hemos enviado un correo de confirmación.",
        "de": "Erledigt: Die Bestellung {order} geht an {new}. Eine Bestätigung per E-Mail ist unterwegs.",
        "fr": "C'est fait : la commande {order} partira à {new}. Un e-mail de confirmation est en route.",
    },
    # invoices
    "invoice.which": {
        "en": "Which invoice would you like a copy of? Here are your latest ones, or type the invoice number.",
        "es": "¿De qué factura quieres una copia? Estas son las últimas; también puedes escribir el número.",
        "de": "Von welcher Rechnung möchten Sie eine Kopie? Hier sind die neuesten, oder nennen Sie die "
              "Rechnungsnummer.",
        "fr": "De quelle facture voulez-vous une copie ? Voici les dernières, ou tapez le numéro de facture.",
    },
    "invoice.none": {
        "en": "I don't see any invoices on your account.",
        "es": "No veo ninguna factura en tu cuenta.",
        "de": "Ich sehe keine Rechnungen in Ihrem Konto.",
        "fr": "Je ne vois aucune facture sur votre compte.",
    },
    "invoice.not_found": {
        "en": "I couldn't find invoice {invoice} on your account. Could you check the number? Invoice numbers "
              "look like INV-2026-0412.",
        "es": "No encuentro la factura {invoice} en tu cuenta. ¿Puedes revisar el número? Tienen este formato: "
              "INV-2026-0412.",
        "de": "Ich finde die Rechnung {invoice} nicht in Ihrem Konto. Könnten Sie die Nummer prüfen? Sie sieht "
              "so aus: INV-2026-0412.",
        "fr": "Je ne trouve pas la facture {invoice} sur votre compte. Pouvez-vous vérifier le numéro ? Il "
              "ressemble à INV-2026-0412.",
    },
    "invoice.confirm": {
        "en": "I'll email a copy of invoice {invoice} ({description}, {amount}) to the billing address on your "
              "account, {email}.",
        "es": "Enviaré una copia de la factura {invoice} ({description}, {amount}) al correo de facturación de "
              "tu cuenta, {email}.",
        "de": "Ich sende eine Kopie der Rechnung {invoice} ({description}, {amount}) an die Rechnungsadresse "
              "Ihres Kontos, {email}.",
        "fr": "J'envoie une copie de la facture {invoice} ({description}, {amount}) à l'adresse de facturation "
              "de votre compte, {email}.",
    },
    "invoice.sent": {
        "en": "Done: a copy of invoice {invoice} is on its way and usually arrives within a few minutes. You can "
              "also download it any time under Settings > Billing > Invoices.",
        "es": "Hecho: la copia de la factura {invoice} va de camino y suele llegar en unos minutos. También "
              "puedes descargarla en Ajustes > Facturación > Facturas.",
        "de": "Erledigt: Die Kopie der Rechnung {invoice} ist unterwegs und kommt meist in wenigen Minuten an. "
              "Sie finden sie auch unter Einstellungen > Abrechnung > Rechnungen.",
        "fr": "C'est fait : la copie de la facture {invoice} est en route et arrive en général en quelques "
              "minutes. Elle est aussi dans Paramètres > Facturation > Factures.",
    },
    # refunds
    "refund.which": {
        "en": "Which purchase is the refund for?",
        "es": "¿Para qué compra es el reembolso?",
        "de": "Für welchen Kauf möchten Sie eine Erstattung?",
        "fr": "Pour quel achat souhaitez-vous un remboursement ?",
    },
    "refund.nothing": {
        "en": "I don't see anything on your account that's inside a refund window right now: hardware can be "
              "returned within 30 days of delivery, monthly charges within 7 days and annual charges within "
              "14 days. If you were charged in error, a person can look into it.",
        "es": "Ahora mismo no veo nada en tu cuenta dentro de un plazo de reembolso: el hardware se puede "
              "devolver en 30 días desde la entrega, los cargos mensuales en 7 días y los anuales en 14. Si se "
              "te cobró por error, una persona puede revisarlo.",
        "de": "Ich sehe derzeit nichts in Ihrem Konto, das noch in einer Erstattungsfrist liegt: Hardware "
              "innerhalb von 30 Tagen nach Zustellung, Monatsbeiträge innerhalb von 7 und Jahresbeiträge "
              "innerhalb von 14 Tagen. Bei einer Fehlbuchung kann sich ein Mensch das ansehen.",
        "fr": "Je ne vois rien sur votre compte qui soit encore dans un délai de remboursement : 30 jours après "
              "livraison pour le matériel, 7 jours pour un prélèvement mensuel, 14 jours pour un annuel. En cas "
              "d'erreur de facturation, un conseiller peut vérifier.",
    },
    "refund.order_not_shipped": {
        "en": "Order {order} hasn't shipped yet, so the simplest is to cancel it: cancelled orders are refunded "
              "in full automatically. Just say \"cancel order {order}\".",
        "es": "El pedido {order} aún no se ha enviado, así que lo más sencillo es cancelarlo: los pedidos "
              "cancelados se reembolsan íntegramente de forma automática. Escribe \"cancelar pedido {order}\".",
        "de": "Die Bestellung {order} ist noch nicht versandt; am einfachsten stornieren Sie sie: Stornierte "
              "Bestellungen werden automatisch voll erstattet. Schreiben Sie einfach \"Bestellung {order} "
              "stornieren\".",
        "fr": "La commande {order} n'est pas encore expédiée : le plus simple est de l'annuler, les commandes "
              "annulées sont remboursées intégralement et automatiquement. Écrivez \"annuler la commande "
              "{order}\".",
    },
    "refund.order_cancelled": {
        "en": "Order {order} was cancelled, and cancelled orders are refunded in full automatically; it usually "
              "shows on your statement within 5–10 business days.",
        "es": "El pedido {order} se canceló, y los pedidos cancelados se reembolsan íntegramente de forma "
              "automática; suele verse en tu extracto en 5–10 días hábiles.",
        "de": "Die Bestellung {order} wurde storniert; stornierte Bestellungen werden automatisch voll erstattet, "
              "meist innerhalb von 5–10 Werktagen.",
        "fr": "La commande {order} a été annulée ; les commandes annulées sont remboursées automatiquement, en "
              "général sous 5 à 10 jours ouvrés.",
    },
    "refund.order_returned": {
        "en": "Order {order} has already been returned; its refund is issued once the return is checked at our "
              "warehouse.",
        "es": "El pedido {order} ya se ha devuelto; el reembolso se emite cuando revisamos la devolución en el "
              "almacén.",
        "de": "Die Bestellung {order} wurde bereits zurückgesandt; die Erstattung erfolgt nach der Prüfung im "
              "Lager.",
        "fr": "La commande {order} a déjà été retournée ; le remboursement est émis après contrôle à l'entrepôt.",
    },
    "refund.order_on_its_way": {
        "en": "Order {order} is {status}. Once it's delivered you can return it within 30 days for a refund, or "
              "refuse the delivery and we'll refund it when it comes back to us.",
        "es": "El pedido {order} está {status}. Cuando lo recibas podrás devolverlo en 30 días para un "
              "reembolso, o rechazar la entrega y te lo reembolsaremos cuando vuelva.",
        "de": "Die Bestellung {order} ist {status}. Nach der Zustellung können Sie sie innerhalb von 30 Tagen "
              "zur Erstattung zurücksenden oder die Annahme verweigern; dann erstatten wir nach Rücklauf.",
        "fr": "La commande {order} est {status}. Une fois livrée, vous pourrez la retourner sous 30 jours pour "
              "un remboursement, ou refuser la livraison et nous rembourserons à son retour.",
    },
    "refund.order_too_old": {
        "en": "Order {order} was delivered on {delivered}, more than 30 days ago, so it's outside the return "
              "window. If a device is faulty, it's covered by the 2-year hardware warranty.",
        "es": "El pedido {order} se entregó el {delivered}, hace más de 30 días, así que está fuera del plazo de "
              "devolución. Si un dispositivo falla, lo cubre la garantía de 2 años.",
        "de": "Die Bestellung {order} wurde am {delivered} zugestellt, vor mehr als 30 Tagen, und liegt damit "
              "außerhalb der Rückgabefrist. Defekte Geräte deckt die 2-jährige Garantie ab.",
        "fr": "La commande {order} a été livrée le {delivered}, il y a plus de 30 jours : le délai de retour est "
              "dépassé. Un appareil défectueux reste couvert par la garantie de 2 ans.",
    },
    "refund.contract": {
        "en": "Invoice {invoice} is for a Business contract, which isn't refundable part-way through the year "
              "unless the contract says so. A person can look at your contract with you.",
        "es": "La factura {invoice} es de un contrato Business, que no se reembolsa a mitad de año salvo que el "
              "contrato lo indique. Una persona puede revisarlo contigo.",
        "de": "Die Rechnung {invoice} gehört zu einem Business-Vertrag, der unterjährig nicht erstattet wird, "
              "sofern der Vertrag nichts anderes vorsieht. Ein Mensch kann ihn mit Ihnen durchgehen.",
        "fr": "La facture {invoice} concerne un contrat Business, non remboursable en cours d'année sauf mention "
              "contraire du contrat. Un conseiller peut l'examiner avec vous.",
    },
    "refund.invoice_unpaid": {
        "en": "Invoice {invoice} hasn't been paid, so there's nothing to refund on it.",
        "es": "La factura {invoice} no está pagada, así que no hay nada que reembolsar.",
        "de": "Die Rechnung {invoice} ist nicht bezahlt; es gibt also nichts zu erstatten.",
        "fr": "La facture {invoice} n'est pas réglée : il n'y a rien à rembourser.",
    },
    "refund.invoice_too_old": {
        "en": "Invoice {invoice} was issued on {issued}; charges like it can be refunded within {days} days, so "
              "it's outside the window. If it was a billing error, a person can still look into it.",
        "es": "La factura {invoice} se emitió el {issued}; estos cargos se reembolsan en {days} días, así que "
              "está fuera de plazo. Si fue un error de facturación, una persona puede revisarlo.",
        "de": "Die Rechnung {invoice} wurde am {issued} ausgestellt; solche Beträge werden innerhalb von {days} "
              "Tagen erstattet, die Frist ist also vorbei. Bei einem Abrechnungsfehler kann ein Mensch helfen.",
        "fr": "La facture {invoice} a été émise le {issued} ; ces prélèvements sont remboursables sous {days} "
              "jours, le délai est donc dépassé. En cas d'erreur de facturation, un conseiller peut vérifier.",
    },
    "refund.confirm_order": {
        "en": "I'll start a return for order {order} ({items}). Once it reaches our warehouse, {amount} is "
              "refunded to your original payment method.",
        "es": "Voy a iniciar la devolución del pedido {order} ({items}). Cuando llegue a nuestro almacén, se "
              "reembolsarán {amount} a tu método de pago original.",
        "de": "Ich starte eine Rücksendung für die Bestellung {order} ({items}). Sobald sie in unserem Lager "
              "ist, werden {amount} auf Ihre ursprüngliche Zahlungsart erstattet.",
        "fr": "Je lance un retour pour la commande {order} ({items}). Dès réception à notre entrepôt, {amount} "
              "sont remboursés sur votre moyen de paiement d'origine.",
    },
    "refund.confirm_invoice": {
        "en": "I'll submit a refund request for invoice {invoice} ({description}, {amount}). If it's approved, "
              "your plan moves to Free straight away.",
        "es": "Enviaré una solicitud de reembolso de la factura {invoice} ({description}, {amount}). Si se "
              "aprueba, tu plan pasa a Free de inmediato.",
        "de": "Ich reiche einen Erstattungsantrag für die Rechnung {invoice} ({description}, {amount}) ein. Wird "
              "er genehmigt, wechselt Ihr Tarif sofort zu Free.",
        "fr": "Je soumets une demande de remboursement pour la facture {invoice} ({description}, {amount}). Si "
              "elle est acceptée, votre plan passe immédiatement à Free.",
    },
    "refund.submitted_order": {
        "en": "Done: return {reference} is open for order {target}. You'll get an email with the free return "
              "label; the refund is issued once the items arrive.",
        "es": "Hecho: la devolución {reference} está abierta para el pedido {target}. Recibirás un correo con la "
              "etiqueta de devolución gratuita; el reembolso se emite cuando lleguen los artículos.",
        "de": "Erledigt: Die Rücksendung {reference} für die Bestellung {target} ist angelegt. Sie erhalten eine "
              "E-Mail mit dem kostenlosen Rücksendeetikett; erstattet wird nach Eingang der Ware.",
        "fr": "C'est fait : le retour {reference} est ouvert pour la commande {target}. Vous recevrez un e-mail "
              "avec l'étiquette de retour gratuite ; le remboursement suit la réception des articles.",
    },
    "refund.submitted_invoice": {
        "en": "Done: refund request {reference} for invoice {target} is submitted. We review requests within 2 "
              "business days, and approved refunds reach your original payment method in 5–10 business days.",
        "es": "Hecho: la solicitud de reembolso {reference} de la factura {target} está enviada. La revisamos en "
              "2 días hábiles y, si se aprueba, el dinero llega en 5–10 días hábiles.",
        "de": "Erledigt: Der Erstattungsantrag {reference} für die Rechnung {target} ist eingereicht. Wir prüfen "
              "innerhalb von 2 Werktagen; genehmigte Erstattungen kommen in 5–10 Werktagen an.",
        "fr": "C'est fait : la demande {reference} pour la facture {target} est envoyée. Nous l'examinons sous "
              "2 jours ouvrés ; un remboursement accepté arrive sous 5 à 10 jours ouvrés.",
    },
    # password reset
    "password.ask_email": {
        "en": "I can send you a password reset link. What's the email address on your account?",
        "es": "Puedo enviarte un enlace para restablecer la contraseña. ¿Cuál es el correo de tu cuenta?",
        "de": "Ich kann Ihnen einen Link zum Zurücksetzen senden. Welche E-Mail-Adresse hat Ihr Konto?",
        "fr": "Je peux vous envoyer un lien de réinitialisation. Quelle est l'adresse e-mail de votre compte ?",
    },
    "password.confirm": {
        "en": "I'll send a password reset link to {email}. The link works once, for 60 minutes.",
        "es": "Enviaré un enlace para restablecer la contraseña a {email}. Sirve una vez, durante 60 minutos.",
        "de": "Ich sende einen Link zum Zurücksetzen des Passworts an {email}. Er gilt einmal, 60 Minuten lang.",
        "fr": "J'envoie un lien de réinitialisation à {email}. Il est valable une fois, pendant 60 minutes.",
    },
    "password.sent": {
        "en": "Done: the reset link is on its way. If it isn't there in a few "
              "minutes, check your spam folder.",
        "es": "Hecho: el enlace va de camino. Si no lo ves en unos minutos, revisa la "
              "carpeta de spam.",
        "de": "Erledigt: Der Link ist unterwegs. Falls er nicht in ein paar Minuten da "
              "ist, sehen Sie im Spam-Ordner nach.",
        "fr": "C'est fait : le lien est en route. S'il n'est pas là dans quelques "
              "minutes, regardez dans les indésirables.",
    },
    "password.sent_if_known": {
        "en": "Done: if {email} has an account, a reset link is on its way. "
              "If nothing arrives in a few minutes, check your spam folder or try "
              "the address you signed up with.",
        "es": "Hecho: si {email} tiene una cuenta, el enlace va de camino. Si no "
              "llega en unos minutos, revisa el spam o prueba con el correo con el que te registraste.",
        "de": "Erledigt: Falls zu {email} ein Konto existiert, ist ein Link "
              "unterwegs. Kommt nichts an, prüfen Sie den Spam-Ordner oder die Adresse, mit der Sie sich "
              "registriert haben.",
        "fr": "C'est fait : si {email} a un compte, un lien est en route. Sinon, "
              "vérifiez les indésirables ou essayez l'adresse utilisée à l'inscription.",
    },
}
