// The one port between the services and the engine process: what a caller may ask of an engine, whatever runs it
// (the forked process in engine-client.ts, Electron's utilityProcess, a test double). Services depend on this
// interface only (lint-checked in eslint.config.js); they never import the fork implementation.
import type {
  EngineStatus,
  AdaptFeaturesRequest,
  AdaptFeaturesResult,
  AdaptJobResult,
  AdaptRequest,
  EndToEndRequest,
  EndToEndResult,
  ExtractRequest,
  ExtractResult,
  EngineProgress,
  ScoreRequest,
  ShaScore,
  TrainRequest,
  TrainResult,
} from './protocol.js';

export type ProgressListener = (p: EngineProgress) => void;

export interface EngineClient {
  status(): Promise<EngineStatus>;
  extract(
    req: Omit<ExtractRequest, 'kind'>,
    onProgress?: ProgressListener,
    signal?: AbortSignal,
  ): Promise<ExtractResult>;
  train(req: Omit<TrainRequest, 'kind'>, onProgress?: ProgressListener, signal?: AbortSignal): Promise<TrainResult>;
  score(req: Omit<ScoreRequest, 'kind'>, onProgress?: ProgressListener, signal?: AbortSignal): Promise<ShaScore[]>;
  /** Fine-tunes a trainable backbone end to end and saves it (end-to-end mode). Optional so test doubles and
   * older engines need not implement it; services refuse end-to-end mode without it. */
  trainEndToEnd?(
    req: Omit<EndToEndRequest, 'kind'>,
    onProgress?: ProgressListener,
    signal?: AbortSignal,
  ): Promise<EndToEndResult>;
  /** Adapt mode (optional like trainEndToEnd): train the backbone's top on cached block-12 maps, cache the
   * adapted features; and the adapted features of more images with a saved adapted top. */
  trainAdapt?(
    req: Omit<AdaptRequest, 'kind'>,
    onProgress?: ProgressListener,
    signal?: AbortSignal,
  ): Promise<AdaptJobResult>;
  adaptFeatures?(
    req: Omit<AdaptFeaturesRequest, 'kind'>,
    onProgress?: ProgressListener,
    signal?: AbortSignal,
  ): Promise<AdaptFeaturesResult>;
  close(): Promise<void>;
}
