"""The diagnosis itself: batches and orders, their people, the questionnaire, evidence, SME rating, policies and peers."""
