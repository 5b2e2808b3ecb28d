"""Conversation errors."""

from kro.kit.errors import NotFound, RateLimited, Unprocessable


class ConversationNotFound(NotFound):
    code = "conversation_not_found"
    message = "No such conversation."


class EmptyMessage(Unprocessable):
    code = "empty_message"
    message = "Write something or attach a file."


class TooManyMessages(RateLimited):
    code = "rate_limited"
    message = "You are sending messages too fast. Wait a moment."


class AttachmentRefused(Unprocessable):
    code = "attachment_refused"
    message = "Attachments are images, PDFs or text, at most 10 MB."
