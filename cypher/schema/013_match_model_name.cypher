// One stored match model per name ("active" is the one the engine scores with).
CREATE CONSTRAINT match_model_name IF NOT EXISTS FOR (m:MatchModel) REQUIRE m.name IS UNIQUE
