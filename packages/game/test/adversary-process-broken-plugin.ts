// A plugin module that fails as it loads: the adversary process must report it, not hang.
export {};
throw new Error('this plugin cannot be loaded');
