DROP TABLE feedback;
DROP TABLE retired_tokens;
