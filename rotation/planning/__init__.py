"""The annual plan: who goes to which customer-service day and warehouse week (``plan_year``)."""
