/** The version of the HTTP and MQTT interfaces in the generated documents; `/api/v1` is its major. */
export const API_VERSION = '1.0.0';
