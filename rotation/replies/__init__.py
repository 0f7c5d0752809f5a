"""Attendees' answers to invitations and bounced messages, read from the organizer mailbox."""
