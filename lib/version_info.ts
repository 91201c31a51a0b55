/**
 * The release version, one constant for tarscli, tarsregistry and the images.
 *
 * @module
 */
/** The tarscli / tarsregistry release version. */
export const VERSION = "0.1.0";
