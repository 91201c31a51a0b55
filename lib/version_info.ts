/** The tarscli / tarsregistry release version. */
export const VERSION = "0.1.0";
