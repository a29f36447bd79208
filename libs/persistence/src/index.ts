export * from './data-source';
export * from './advisory-lock';
export * from './coalescer';
