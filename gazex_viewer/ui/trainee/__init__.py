"""The trainee mode: read first, then compare with the expert's inspection."""
