-- Allow the `lead` role: agents who work the queue and also see analytics.
ALTER TABLE agents DROP CONSTRAINT agents_role_check;
ALTER TABLE agents ADD CONSTRAINT agents_role_check CHECK (role IN ('agent', 'lead', 'admin'));
