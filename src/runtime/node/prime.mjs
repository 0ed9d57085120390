// Imported by a primed runtime before it has a function, so the ES module loader is warm when the handler loads.
export {};
