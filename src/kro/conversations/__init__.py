"""Conversations between parties (core): persisted messages, attachments, read receipts and
unread counts, delivered live over Socket.IO."""
