// The agent console's suggested reply: the agent edits the draft, then sends it to the customer.
// Props (from app/surfaces/console/commands.py): suggestion, conversation, text, language, method.
import { useState } from "react";
import { Button } from "@/components/ui/button";

export default function SuggestedReply() {
  const [text, setText] = useState(props.text || "");
  const [state, setState] = useState(props.sent ? "sent" : "editing");

  const send = async () => {
    if (!text.trim() || state !== "editing") return;
    setState("sending");
    await callAction({
      name: "send_suggestion",
      payload: { suggestion: props.suggestion, conversation: props.conversation, text },
    });
    setState("sent");
  };

  return (
    <div className="flex flex-col gap-2 w-full">
      <textarea
        className="w-full min-h-[6rem] rounded-md border border-input bg-background p-2 text-sm"
        value={text}
        disabled={state !== "editing"}
        onChange={(e) => setText(e.target.value)}
        aria-label="Suggested reply, editable"
      />
      <div className="flex items-center gap-2">
        <Button size="sm" onClick={send} disabled={state !== "editing" || !text.trim()}>
          {state === "sent" ? "Sent" : state === "sending" ? "Sending…" : "Send to customer"}
        </Button>
        <span className="text-xs text-muted-foreground">
          {props.method} · {props.language}
        </span>
      </div>
    </div>
  );
}
