"""One Dapr actor per conversation: the Helpdesk's virtual agent (AI-202 lab 6)."""
