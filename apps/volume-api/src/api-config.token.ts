/** Injection token for the validated ApiConfig. */
export const API_CONFIG = Symbol('API_CONFIG');
