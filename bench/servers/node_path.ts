// A reference for the probe bench: what importing one Node built-in module costs at startup.
import "node:path";
