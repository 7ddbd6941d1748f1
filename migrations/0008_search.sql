-- Full-text search over requests (topic, body) and their responses (answer text or rejection reason).
-- Hand-written: drizzle-kit cannot express FTS5 tables, views or triggers. Kept in step by triggers
-- on the base tables, so every write path (the API, the processor, a batch import) updates the
-- index in the same statement and transaction (src/requests/search.ts queries it, docs/search.md
-- explains it). Written for both splitters, ours (statement breakpoints, then semicolons outside
-- quotes, comments and trigger bodies) and wrangler's (semicolons, where every CASE must close
-- with an upper-case END followed by a space or a semicolon).
--
-- search_docs gives each request a stable integer: the FTS rowid. The requests table has a text
-- key, and its implicit rowid may change on VACUUM, which would silently detach the index. The
-- owner (which never changes) lets a user's search walk their own entries newest first.
CREATE TABLE search_docs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL
);
--> statement-breakpoint
CREATE INDEX search_docs_user ON search_docs (user_id, id);
--> statement-breakpoint
-- The index keeps its own copy of the text (not external content): an update never needs the old
-- values, so no write can leave it inconsistent. remove_diacritics 2: "cafe" finds "café".
CREATE VIRTUAL TABLE search_index USING fts5(topic, body, answer, tokenize = 'unicode61 remove_diacritics 2');
--> statement-breakpoint
-- What is indexed: the topic; the body's string and number values when it is JSON (keys and
-- punctuation are not words), else its text; the answer's likewise, or a rejection's reason. Each
-- field is cut at 32768 characters, and the control characters 0x02 and 0x03, which mark hits in
-- snippets, become spaces so a snippet's marks are always FTS5's. The view says it once, for the
-- backfill and for checking the index; the triggers repeat its expressions on new and old rows
-- (reading the view in a trigger costs more than the indexing itself), and
-- test/node/search-migration.test.ts checks after every kind of write that the index and the
-- view agree.
CREATE VIEW search_source AS
SELECT d.id AS doc, q.id AS request_id,
  replace(replace(substr(q.topic, 1, 32768), char(2), ' '), char(3), ' ') AS topic,
  replace(replace(substr( CASE WHEN json_valid(q.body) THEN (SELECT group_concat(t.value, ' ') FROM json_tree(q.body) AS t WHERE t.type IN ('text', 'integer', 'real')) ELSE q.body END , 1, 32768), char(2), ' '), char(3), ' ') AS body,
  replace(replace(substr( CASE WHEN p.body IS NULL THEN p.reason ELSE CASE WHEN json_valid(p.body) THEN (SELECT group_concat(t.value, ' ') FROM json_tree(p.body) AS t WHERE t.type IN ('text', 'integer', 'real')) ELSE p.body END END , 1, 32768), char(2), ' '), char(3), ' ') AS answer
FROM search_docs AS d
JOIN requests AS q ON q.id = d.request_id
LEFT JOIN responses AS p ON p.request_id = d.request_id;
--> statement-breakpoint
CREATE TRIGGER search_request_insert AFTER INSERT ON requests BEGIN
  INSERT INTO search_docs (request_id, user_id) VALUES (new.id, new.user_id);
  INSERT INTO search_index (rowid, topic, body, answer)
  VALUES (last_insert_rowid(), replace(replace(substr(new.topic, 1, 32768), char(2), ' '), char(3), ' '), replace(replace(substr( CASE WHEN json_valid(new.body) THEN (SELECT group_concat(t.value, ' ') FROM json_tree(new.body) AS t WHERE t.type IN ('text', 'integer', 'real')) ELSE new.body END , 1, 32768), char(2), ' '), char(3), ' '),
    (SELECT replace(replace(substr( CASE WHEN p.body IS NULL THEN p.reason ELSE CASE WHEN json_valid(p.body) THEN (SELECT group_concat(t.value, ' ') FROM json_tree(p.body) AS t WHERE t.type IN ('text', 'integer', 'real')) ELSE p.body END END , 1, 32768), char(2), ' '), char(3), ' ') FROM responses AS p WHERE p.request_id = new.id));
END;
--> statement-breakpoint
-- Only when the text changed: an import carrying a request's cancellation sets topic and body too.
-- FTS5 takes the fields an UPDATE leaves alone from its own copy.
CREATE TRIGGER search_request_update AFTER UPDATE OF topic, body ON requests
WHEN old.topic IS NOT new.topic OR old.body IS NOT new.body BEGIN
  UPDATE search_index SET topic = replace(replace(substr(new.topic, 1, 32768), char(2), ' '), char(3), ' '), body = replace(replace(substr( CASE WHEN json_valid(new.body) THEN (SELECT group_concat(t.value, ' ') FROM json_tree(new.body) AS t WHERE t.type IN ('text', 'integer', 'real')) ELSE new.body END , 1, 32768), char(2), ' '), char(3), ' ')
  WHERE rowid = (SELECT id FROM search_docs WHERE request_id = new.id);
END;
--> statement-breakpoint
CREATE TRIGGER search_request_delete AFTER DELETE ON requests BEGIN
  DELETE FROM search_index WHERE rowid = (SELECT id FROM search_docs WHERE request_id = old.id);
  DELETE FROM search_docs WHERE request_id = old.id;
END;
--> statement-breakpoint
CREATE TRIGGER search_response_insert AFTER INSERT ON responses BEGIN
  UPDATE search_index SET answer = replace(replace(substr( CASE WHEN new.body IS NULL THEN new.reason ELSE CASE WHEN json_valid(new.body) THEN (SELECT group_concat(t.value, ' ') FROM json_tree(new.body) AS t WHERE t.type IN ('text', 'integer', 'real')) ELSE new.body END END , 1, 32768), char(2), ' '), char(3), ' ') WHERE rowid = (SELECT id FROM search_docs WHERE request_id = new.request_id);
END;
--> statement-breakpoint
CREATE TRIGGER search_response_update AFTER UPDATE OF body, reason ON responses
WHEN old.body IS NOT new.body OR old.reason IS NOT new.reason BEGIN
  UPDATE search_index SET answer = replace(replace(substr( CASE WHEN new.body IS NULL THEN new.reason ELSE CASE WHEN json_valid(new.body) THEN (SELECT group_concat(t.value, ' ') FROM json_tree(new.body) AS t WHERE t.type IN ('text', 'integer', 'real')) ELSE new.body END END , 1, 32768), char(2), ' '), char(3), ' ') WHERE rowid = (SELECT id FROM search_docs WHERE request_id = new.request_id);
END;
--> statement-breakpoint
CREATE TRIGGER search_response_delete AFTER DELETE ON responses BEGIN
  UPDATE search_index SET answer = NULL WHERE rowid = (SELECT id FROM search_docs WHERE request_id = old.request_id);
END;
--> statement-breakpoint
-- Backfill, oldest first, so the rowid order (newest first in results) follows creation.
INSERT INTO search_docs (request_id, user_id) SELECT id, user_id FROM requests ORDER BY created_at, id;
--> statement-breakpoint
INSERT INTO search_index (rowid, topic, body, answer) SELECT doc, topic, body, answer FROM search_source;
