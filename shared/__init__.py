"""The kit every service uses: event store, messaging, audit, and the nameko adapter."""

import warnings

# eventlet (nameko's runtime) warns on import that it is in maintenance mode;
# that is known and chosen (README, dependencies), and not for operators' screens.
warnings.filterwarnings("ignore", message=r"(?s).*eventlet is deprecated", category=Warning)
