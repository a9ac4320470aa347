"""After intake: cases, the vetted partner directory, routing, the referral workflow, the
partner inbox and notifications. Depends on ``core``, ``access`` and ``screening``."""
