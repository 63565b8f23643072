-- Fines for the loans that are overdue today, written by hand: the script reads the loans.
CREATE TABLE fines (
    id INTEGER NOT NULL AUTO_INCREMENT,
    loan_id INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT fk_fines_loan FOREIGN KEY (loan_id) REFERENCES loans (id)
);
INSERT INTO fines (loan_id, amount_cents)
SELECT id, 50 FROM loans WHERE returned_on IS NULL AND due_on < CURRENT_DATE;
