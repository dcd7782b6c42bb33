"""What leaves the warehouse: the serving file for BI tools, the CRM change feed and the HTML report."""
