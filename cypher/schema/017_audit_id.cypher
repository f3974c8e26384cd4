// Every audit entry is unique by its audit_id (time-ordered: the audit log pages by it).
CREATE CONSTRAINT audit_id IF NOT EXISTS FOR (a:AuditEntry) REQUIRE a.audit_id IS UNIQUE
