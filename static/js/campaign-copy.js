// The copy form (templates/admin/estates/campaign/copy_form.html): the title and web address
// proposed for one year follow the year as it is typed, until the clerk types their own.
// The form does the same on the server for a page sent without this script
// (estates/admin/campaign_forms.py, CampaignCopyForm).
document.addEventListener("DOMContentLoaded", () => {
  const year = document.getElementById("id_year");
  const proposedFor = document.getElementById("id_proposed_for");
  if (!year || !proposedFor) {
    return;
  }
  const following = Array.from(document.querySelectorAll("input[data-year-parts]"));
  const proposal = (input, forYear) => {
    const text = JSON.parse(input.dataset.yearParts).join(forYear);
    return input.maxLength > 0 ? text.slice(0, input.maxLength) : text;
  };
  year.addEventListener("input", () => {
    const typed = year.value.trim();
    if (!/^[0-9]{4}$/.test(typed) || typed === proposedFor.value) {
      return;
    }
    for (const input of following) {
      if (input.value === proposal(input, proposedFor.value)) {
        input.value = proposal(input, typed);
      }
    }
    proposedFor.value = typed;
  });
});
