// Names and summaries of the batch files this network writes.

export interface ExportedBatch {
  id: string;
  sequence: number;
  records: number;
  bytes: number;
  file_name: string;
}

/**
 * One name per written file (the batch id is in it): two exporters that raced for a sequence,
 * or a resend, never overwrite a file another row points at.
 */
export const batchFileName = (source: string, destination: string, sequence: number, batchId: string, copy = 0) =>
  `${source}--${destination}--${String(sequence).padStart(8, "0")}--${batchId.slice(0, 8)}${copy ? `-${copy}` : ""}.batch`;
