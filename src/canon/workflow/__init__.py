"""From three numbers to one: propose, approve, build, verify, postmortem."""
