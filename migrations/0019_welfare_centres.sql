-- The directory of dong welfare centres: the number a centre's notifications go to, who is on
-- duty, and the dongs a resident may be enrolled in. Residents enrolled before the directory
-- keep working; their centre's messages carry no number until an admin adds the centre.
CREATE TABLE IF NOT EXISTS welfare_centres (
    dong TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    duty_contacts TEXT NOT NULL DEFAULT '[]',
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);
