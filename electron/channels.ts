// Electron-only IPC channels beyond the generic call/event pair of src/rpc/types.ts. Shared by main and preload.
export const PICK_FOLDER_CHANNEL = 'ssod:pick-folder';
